using System.ComponentModel;
using System.Diagnostics;

namespace Datacake.Streams.IntegrationTests.Services;

/// <summary>
/// A command-line program run by a test (mosquitto_pub, influx, ...), its output collected line by line so
/// that a test can wait for a line with a deadline instead of sleeping.
/// </summary>
public sealed class ExternalCommand : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];
    private readonly List<string> _error = [];
    private readonly Lock _gate = new();

    // Released once per received line and at exit, so that a waiter re-checks what it has not seen yet.
    private readonly SemaphoreSlim _lineArrived = new(0);

    private ExternalCommand(Process process) => _process = process;

    public string FileName => _process.StartInfo.FileName;

    public IReadOnlyList<string> OutputLines
    {
        get
        {
            lock (_gate)
            {
                return [.. _output];
            }
        }
    }

    public string Error
    {
        get
        {
            lock (_gate)
            {
                return string.Join('\n', _error);
            }
        }
    }

    /// <summary>Starts <paramref name="fileName"/>; a missing program fails with the script that installs it.</summary>
    public static ExternalCommand Start(string fileName, params string[] arguments)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var command = new ExternalCommand(process);
        process.OutputDataReceived += (_, e) => command.Add(command._output, e.Data);
        process.ErrorDataReceived += (_, e) => command.Add(command._error, e.Data);
        process.Exited += (_, _) => command._lineArrived.Release();
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            process.Dispose();
            throw new InvalidOperationException($"cannot run {fileName} ({ex.Message}): {ServiceEndpoints.StartHint}", ex);
        }

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return command;
    }

    /// <summary>Runs to completion within <paramref name="deadline"/>; the result holds the exit code and output.</summary>
    public static async Task<CommandResult> RunAsync(string fileName, TimeSpan deadline, params string[] arguments)
    {
        await using var command = Start(fileName, arguments);
        var exitCode = await command.WaitForExitAsync(deadline);
        return new CommandResult(exitCode, string.Join('\n', command.OutputLines), command.Error);
    }

    /// <summary>Waits for a stdout line matching <paramref name="match"/>; fails with the output so far when the deadline passes.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan deadline)
    {
        ArgumentNullException.ThrowIfNull(match);
        var until = DateTime.UtcNow + deadline;
        var seen = 0;
        while (true)
        {
            var exited = _process.HasExited;
            if (exited)
            {
                // Lines may still be in flight after the exit: this returns once both streams reached their end.
                await _process.WaitForExitAsync();
            }

            var lines = OutputLines;
            for (; seen < lines.Count; seen++)
            {
                if (match(lines[seen]))
                {
                    return lines[seen];
                }
            }

            var left = until - DateTime.UtcNow;
            if (exited || left <= TimeSpan.Zero)
            {
                throw new TimeoutException(
                    $"{FileName}: no matching output line within {deadline} (exited: {exited}); stdout:\n{string.Join('\n', lines)}\nstderr:\n{Error}");
            }

            await _lineArrived.WaitAsync(left);
        }
    }

    /// <summary>Waits for the program to end; past the deadline it is killed and a <see cref="TimeoutException"/> says so.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{FileName} did not exit within {deadline}; stderr:\n{Error}");
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        // _lineArrived is not disposed: the Exited event may still release it, and a SemaphoreSlim whose
        // AvailableWaitHandle is never read holds no OS handle.
        _process.Dispose();
    }

    private void Add(List<string> lines, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            lines.Add(line);
        }

        _lineArrived.Release();
    }
}

/// <summary>How an <see cref="ExternalCommand"/> ended.</summary>
public sealed record CommandResult(int ExitCode, string Output, string Error);
