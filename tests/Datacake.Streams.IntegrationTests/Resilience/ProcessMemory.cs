using System.Globalization;

namespace Datacake.Streams.IntegrationTests.Resilience;

/// <summary>Resident memory of another process, as the kernel counts it (/proc/&lt;pid&gt;/status, VmRSS).</summary>
internal static class ProcessMemory
{
    /// <summary>VmRSS in bytes, or null once the process is gone.</summary>
    public static long? ResidentBytes(int processId)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines($"/proc/{processId}/status");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // "VmRSS:	  123456 kB"
        var line = lines.FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        if (line is null)
        {
            return null;
        }

        var kilobytes = line["VmRSS:".Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        return long.Parse(kilobytes, CultureInfo.InvariantCulture) * 1024;
    }
}
