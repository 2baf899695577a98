using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;

namespace Datacake.Streams.Backups;

/// <summary>
/// Runs <c>influxd backup -portable</c> and <c>influxd restore -portable</c> against the RPC address. The RPC has no
/// authentication (influxd binds it to loopback); <c>-host</c> is always passed because without it the tools dial
/// localhost:8088 and retry for ~70 s.
/// </summary>
public sealed class InfluxdTool(string influxdPath, string backupHost, TimeSpan timeout)
{
    public string BackupHost => backupHost;

    public Task BackupAsync(string database, string retentionPolicy, DateTimeOffset? since, string directory, CancellationToken cancellationToken)
    {
        var arguments = new List<string> { "backup", "-portable", "-database", database, "-rp", retentionPolicy, "-host", backupHost };
        if (since is { } from)
        {
            arguments.Add("-since");
            arguments.Add(from.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        }

        arguments.Add(directory);
        return RunAsync(arguments, cancellationToken);
    }

    /// <summary>Restores a portable backup folder of <paramref name="database"/> as the new database <paramref name="newDatabase"/>.</summary>
    public Task RestoreAsync(string database, string newDatabase, string directory, CancellationToken cancellationToken) =>
        RunAsync(["restore", "-portable", "-db", database, "-newdb", newDatabase, "-host", backupHost, directory], cancellationToken);

    private async Task RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(influxdPath)
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

        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw new BackupException(BackupFailure.ToolMissing, $"cannot run {influxdPath} ({ex.Message}): install influxdb or set Backup:InfluxdPath", ex);
        }

        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var error = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
            throw new BackupException(BackupFailure.Tool, $"influxd {arguments[0]} did not finish within {timeout}");
        }

        var text = (await output) + (await error);
        if (process.ExitCode != 0)
        {
            throw new BackupException(BackupFailure.Tool, $"influxd {arguments[0]} exited with {process.ExitCode}: {Tail(text)}");
        }
    }

    private static string Tail(string text) => text.Length <= 2_000 ? text.Trim() : text[^2_000..].Trim();
}
