using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Datacake.Streams.IntegrationTests.Services;

namespace Datacake.Streams.IntegrationTests.Backups;

/// <summary>
/// An influxd of the test's own (temp config and data, free loopback ports, auth off) for a test that stops it: the
/// shared influxd on 8086 serves every other test and is never stopped.
/// </summary>
public sealed class PrivateInfluxd : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly HttpClient _http;

    private PrivateInfluxd(Process process, string folder, int httpPort, int rpcPort)
    {
        _process = process;
        Folder = folder;
        Url = $"http://127.0.0.1:{httpPort}";
        BackupHost = $"127.0.0.1:{rpcPort}";
        _http = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(5) };
    }

    public string Url { get; }

    /// <summary>The backup RPC address (host:port) for <c>influxd backup/restore -host</c>.</summary>
    public string BackupHost { get; }

    public string Folder { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public static async Task<PrivateInfluxd> StartAsync()
    {
        var folder = Directory.CreateTempSubdirectory("dcs-influxd-").FullName;
        var httpPort = FreeTcpPort();
        var rpcPort = FreeTcpPort();
        var config = Path.Combine(folder, "influxd.conf");
        await File.WriteAllTextAsync(config, $"""
            reporting-disabled = true
            bind-address = "127.0.0.1:{rpcPort}"
            [meta]
              dir = "{folder}/meta"
            [data]
              dir = "{folder}/data"
              wal-dir = "{folder}/wal"
              query-log-enabled = false
            [http]
              enabled = true
              bind-address = "127.0.0.1:{httpPort}"
              auth-enabled = false
              log-enabled = false
            [continuous_queries]
              run-interval = "1s"
            [monitor]
              store-enabled = false
            """);
        var info = new ProcessStartInfo("influxd") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-config");
        info.ArgumentList.Add(config);
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("influxd did not start");
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException($"cannot run influxd ({ex.Message}): {ServiceEndpoints.StartHint}", ex);
        }

        var influxd = new PrivateInfluxd(process, folder, httpPort, rpcPort);
        process.OutputDataReceived += (_, e) => influxd.Capture(e.Data);
        process.ErrorDataReceived += (_, e) => influxd.Capture(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await influxd.AnswersAsync())
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                var output = string.Join('\n', influxd._output.TakeLast(20));
                await influxd.DisposeAsync();
                throw new InvalidOperationException($"the private influxd did not answer /ping within 30 s:\n{output}");
            }

            await Task.Delay(50);
        }

        return influxd;
    }

    /// <summary>Whether it answers <c>/ping</c> with 204.</summary>
    public async Task<bool> AnswersAsync()
    {
        try
        {
            using var response = await _http.GetAsync("/ping");
            return response.StatusCode == HttpStatusCode.NoContent;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(Folder, recursive: true);
    }

    private void Capture(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
