using System.Diagnostics;

namespace Datacake.Streams.IntegrationTests.Backups;

/// <summary>
/// A process a script started and left running (the drill's standby with <c>--keep</c>): not this test's child, so it
/// is found by the pid the script printed, checked by name (a reused pid is left alone), killed, and waited for.
/// </summary>
public static class StrayProcess
{
    public static async Task KillAsync(int pid, string expectedName, TimeSpan deadline)
    {
        Process process;
        try
        {
            process = Process.GetProcessById(pid);
        }
        catch (ArgumentException)
        {
            return;
        }

        using (process)
        {
            if (process.HasExited || !string.Equals(process.ProcessName, expectedName, StringComparison.Ordinal))
            {
                return;
            }

            process.Kill(entireProcessTree: true);
        }

        // Not a child: no wait() for it. Gone (or a zombie nobody reaps) = no longer running.
        var until = DateTime.UtcNow + deadline;
        while (IsRunning(pid) && DateTime.UtcNow < until)
        {
            await Task.Delay(50);
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..];
            return !state.StartsWith('Z');
        }
        catch (IOException)
        {
            return false;
        }
    }
}
