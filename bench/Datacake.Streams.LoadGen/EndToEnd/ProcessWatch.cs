using System.Diagnostics;
using System.Globalization;

namespace Datacake.Streams.LoadGen.EndToEnd;

/// <summary>
/// CPU seconds and peak RSS of the processes under test (<c>--watch host=PID,influxd=PID,...</c>) over exactly the
/// timed window: CPU as the difference of user+system time at the clock's start and stop, peak RSS as VmHWM after
/// resetting it at the start (<c>/proc/PID/clear_refs</c> ← 5), so the warm-up and earlier scenarios of a long-lived
/// influxd or Mosquitto do not count. Where the reset is refused the peak is since the process started (reported).
/// </summary>
internal sealed class ProcessWatch
{
    private readonly List<Watched> _processes;

    private ProcessWatch(List<Watched> processes) => _processes = processes;

    /// <summary>Parses <c>name=pid,...</c>; the load tool itself is always watched, as <c>loadgen</c>.</summary>
    public static ProcessWatch Parse(string? spec)
    {
        var processes = new List<Watched> { new("loadgen", Environment.ProcessId) };
        foreach (var item in (spec ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = item.Split('=');
            if (parts.Length != 2 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                throw new ArgumentException($"--watch takes name=pid,..., not {item}");
            }

            processes.Add(new Watched(parts[0], pid));
        }

        return new ProcessWatch(processes);
    }

    public void Start()
    {
        foreach (var process in _processes)
        {
            process.CpuAtStart = CpuSeconds(process.Pid);
            process.PeakReset = TryResetPeak(process.Pid);
        }
    }

    /// <summary><c>cpu_NAME=seconds rss_NAME=MiB</c> for each process (and <c>rss_since_start=NAME,...</c> where the reset failed).</summary>
    public string Stop()
    {
        var fields = new List<string>();
        foreach (var process in _processes)
        {
            var cpu = CpuSeconds(process.Pid) - process.CpuAtStart;
            fields.Add(string.Create(CultureInfo.InvariantCulture, $"cpu_{process.Name}={cpu:0.00} rss_{process.Name}={PeakRssMiB(process.Pid):0}"));
        }

        var unreset = _processes.Where(p => !p.PeakReset).Select(p => p.Name).ToList();
        if (unreset.Count > 0)
        {
            fields.Add("rss_since_start=" + string.Join(',', unreset));
        }

        return string.Join(' ', fields);
    }

    private static double CpuSeconds(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.TotalProcessorTime.TotalSeconds;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return double.NaN;
        }
    }

    private static bool TryResetPeak(int pid)
    {
        try
        {
            File.WriteAllText($"/proc/{pid}/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static double PeakRssMiB(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    var kib = long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                    return kib / 1024.0;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return double.NaN;
        }

        return double.NaN;
    }

    private sealed class Watched(string name, int pid)
    {
        public string Name { get; } = name;

        public int Pid { get; } = pid;

        public double CpuAtStart { get; set; }

        public bool PeakReset { get; set; }
    }
}
