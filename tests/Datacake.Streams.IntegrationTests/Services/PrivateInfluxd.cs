using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Datacake.Streams.Influx.Client;

namespace Datacake.Streams.IntegrationTests.Services;

/// <summary>
/// An influxd of one test, configured as ops/services.sh configures the shared one (auth on with an admin user, or
/// off for a test that plays an operator's bare standby; the backup RPC on loopback) but on free ports and in a
/// temporary folder, so the test may stop and restart it without touching the influxd everyone else's tests use.
/// Restarts keep the ports and the data.
/// </summary>
internal sealed class PrivateInfluxd : IAsyncDisposable
{
    public const string AdminUser = "admin";

    // influxd 1.6.7 answers /ping in < 0.3 s here; a loaded 2-core CI machine may take many times that.
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(60);

    // ops/services.sh waits 20 s for a TERM before it sends KILL; influxd closes its shards in well under that.
    private static readonly TimeSpan StopDeadline = TimeSpan.FromSeconds(20);

    private readonly DirectoryInfo _folder;
    private readonly string _configPath;
    private readonly ConcurrentQueue<string> _output = new();
    private Process? _process;

    private readonly bool _authEnabled;

    private readonly int? _maxBodyBytes;

    private PrivateInfluxd(DirectoryInfo folder, int httpPort, int rpcPort, bool authEnabled, int? maxBodyBytes = null)
    {
        _maxBodyBytes = maxBodyBytes;
        _folder = folder;
        _authEnabled = authEnabled;
        HttpPort = httpPort;
        RpcPort = rpcPort;
        _configPath = Path.Combine(folder.FullName, "influxd.conf");
        Password = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
    }

    public int HttpPort { get; }

    public int RpcPort { get; }

    public string Url => $"http://127.0.0.1:{HttpPort}";

    /// <summary>The admin user's password; unused when auth is off.</summary>
    public string Password { get; }

    /// <summary>The backup RPC address (host:port) for <c>influxd backup/restore -host</c>.</summary>
    public string BackupHost => $"127.0.0.1:{RpcPort}";

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The folder of its config, meta, data and WAL, e.g. to scan every byte influxd stored.</summary>
    public string Folder => _folder.FullName;

    public int ProcessId => _process?.Id ?? throw new InvalidOperationException("the private influxd was never started");

    /// <summary>Installs nothing: fails naming ops/services.sh when Debian's influxd is missing.</summary>
    /// <param name="maxBodyBytes">influxd's <c>max-body-size</c> (its default: 25,000,000), e.g. small to make it answer 413.</param>
    public static async Task<PrivateInfluxd> StartAsync(bool authEnabled = true, int? maxBodyBytes = null)
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException($"{Binary} is missing (Debian package influxdb): {ServiceEndpoints.StartHint}");
        }

        var folder = Directory.CreateTempSubdirectory("dcs-influxd-");
        var influxd = new PrivateInfluxd(folder, TestPorts.Free(), TestPorts.Free(), authEnabled, maxBodyBytes);
        influxd.WriteConfig();
        await influxd.StartAgainAsync();
        if (!authEnabled)
        {
            return influxd;
        }

        // With auth on and no user yet, influxd accepts exactly this statement without credentials.
        using var http = new HttpClient { BaseAddress = new Uri(influxd.Url), Timeout = TimeSpan.FromSeconds(30) };
        var create = $"CREATE USER \"{AdminUser}\" WITH PASSWORD '{influxd.Password}' WITH ALL PRIVILEGES";
        using var response = await http.PostAsync("/query", new FormUrlEncodedContent([new("q", create)]));
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode || body.Contains("\"error\"", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"creating the admin user of the private influxd failed: {(int)response.StatusCode} {body}");
        }

        return influxd;
    }

    public InfluxOptions Options(string database) => new()
    {
        Url = new Uri(Url),
        Database = database,
        User = _authEnabled ? AdminUser : null,
        Password = _authEnabled ? Password : null,
        MaxRetries = 0,
        RequestTimeout = TimeSpan.FromSeconds(20),
    };

    /// <summary>Starts influxd on the same config, ports and data as before, and waits until /ping answers.</summary>
    public async Task StartAgainAsync()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("the private influxd is already running");
        }

        _process?.Dispose();
        var start = new ProcessStartInfo(Binary)
        {
            ArgumentList = { "-config", _configPath },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Binary}");
        _process.OutputDataReceived += (_, e) => Capture(e.Data);
        _process.ErrorDataReceived += (_, e) => Capture(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + StartDeadline;
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the private influxd exited with {_process.ExitCode} at start:\n{Tail()}");
            }

            try
            {
                using var ping = await http.GetAsync("/ping");
                if (ping.StatusCode == HttpStatusCode.NoContent)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the private influxd did not answer /ping within {StartDeadline}:\n{Tail()}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>SIGTERM, as an operator's service manager stops it; SIGKILL when it does not exit in time.</summary>
    public async Task StopAsync()
    {
        if (_process is null || _process.HasExited)
        {
            return;
        }

        using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await term.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(StopDeadline);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
    }

    /// <summary>Whether it answers <c>/ping</c> with 204 now.</summary>
    public async Task<bool> AnswersAsync()
    {
        using var http = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var ping = await http.GetAsync("/ping");
            return ping.StatusCode == HttpStatusCode.NoContent;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    public string Tail() => string.Join('\n', _output.TakeLast(40));

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        try
        {
            _folder.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A file still held open: the temporary folder is left to the system.
        }
    }

    private static string Binary => "/usr/bin/influxd";

    private void WriteConfig()
    {
        var root = _folder.FullName;
        File.WriteAllText(_configPath, $"""
            reporting-disabled = true
            # The backup RPC has no authentication: loopback only, on a port of this test.
            bind-address = "127.0.0.1:{RpcPort}"

            [meta]
              dir = "{root}/meta"

            [data]
              dir = "{root}/data"
              wal-dir = "{root}/wal"
              query-log-enabled = false

            [http]
              enabled = true
              bind-address = "127.0.0.1:{HttpPort}"
              auth-enabled = {(_authEnabled ? "true" : "false")}
              log-enabled = false
              max-body-size = {_maxBodyBytes ?? 25_000_000}

            [monitor]
              store-enabled = false

            [continuous_queries]
              enabled = true
              run-interval = "1s"

            [logging]
              level = "warn"
            """);
    }

    private void Capture(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 200)
        {
            _output.TryDequeue(out _);
        }
    }

}
