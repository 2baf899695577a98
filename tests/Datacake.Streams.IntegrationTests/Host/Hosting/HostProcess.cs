using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Net;
using Datacake.Streams.IntegrationTests.Services;

namespace Datacake.Streams.IntegrationTests.Host.Hosting;

/// <summary>
/// The real executable (datacake-streams.dll) started as a child process on free loopback ports, as an operator
/// would run it: real Kestrel, real files under its own data folder, killable with SIGKILL.
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    // A start takes 2-5 s on a quiet box; CI runs beside the test suite's other servers at load 10+, where a start
    // inside a busy test class took most of a minute: 120 s, so that only a host that cannot start fails here.
    private static readonly TimeSpan _startDeadline = TimeSpan.FromSeconds(120);
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private readonly string? _configuredOperatorToken;

    private HostProcess(Process process, int httpPort, int mqttPort, string dataDirectory, string? configuredOperatorToken)
    {
        _process = process;
        _configuredOperatorToken = configuredOperatorToken;
        HttpPort = httpPort;
        MqttPort = mqttPort;
        DataDirectory = dataDirectory;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public int HttpPort { get; }

    /// <summary>The port of the node's plain (loopback) MQTT listener, as configured at start.</summary>
    public int MqttPort { get; }

    /// <summary>The child's process id, e.g. to read its memory from <c>/proc/PID/status</c>.</summary>
    public int ProcessId => _process.Id;

    public string DataDirectory { get; }

    public HttpClient Http { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Output => string.Join('\n', _output);

    /// <summary>Starts the host and, unless <paramref name="waitUntilHealthy"/> is false, waits for /healthz.</summary>
    public static async Task<HostProcess> StartAsync(
        IDictionary<string, string>? environment = null,
        string? dataDirectory = null,
        bool waitUntilHealthy = true)
    {
        dataDirectory ??= Directory.CreateTempSubdirectory("dcs-host-").FullName;
        var httpPort = TestPorts.Free();
        var dll = Path.Combine(AppContext.BaseDirectory, "datacake-streams.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dataDirectory,
        };
        start.Environment["DCS_DATA_DIR"] = dataDirectory;
        start.Environment["DCS_HTTP_URL"] = $"http://127.0.0.1:{httpPort}";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";

        // Hosts run side by side in tests: each gets its own MQTT port instead of the default 1883.
        start.Environment["Ingest__Mqtt__PlainEndpoint"] = $"127.0.0.1:{TestPorts.Free()}";
        foreach (var (key, value) in ServiceEndpointsEnvironment())
        {
            start.Environment[key] = value;
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        var configuredToken = environment is null ? null
            : environment.TryGetValue("DCS_OPERATOR_TOKEN", out var alias) ? alias
            : environment.TryGetValue("Access__OperatorToken", out var token) ? token : null;
        var mqttPort = int.Parse(start.Environment["Ingest__Mqtt__PlainEndpoint"]![(start.Environment["Ingest__Mqtt__PlainEndpoint"]!.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);
        var host = new HostProcess(process, httpPort, mqttPort, dataDirectory, configuredToken);
        process.OutputDataReceived += (_, e) => host.Capture(e.Data);
        process.ErrorDataReceived += (_, e) => host.Capture(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (waitUntilHealthy)
        {
            await host.WaitUntilAsync("/healthz", HttpStatusCode.OK, _startDeadline);
        }

        return host;
    }

    /// <summary>Polls <paramref name="path"/> until it answers <paramref name="status"/>; fails with the host's output otherwise.</summary>
    public async Task WaitUntilAsync(string path, HttpStatusCode status, TimeSpan deadline)
    {
        var until = DateTime.UtcNow + deadline;
        HttpStatusCode? last = null;
        while (DateTime.UtcNow < until)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"host exited with {_process.ExitCode} while waiting for {path}:\n{Output}");
            }

            try
            {
                using var response = await Http.GetAsync(path);
                last = response.StatusCode;
                if (response.StatusCode == status)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"{path} did not answer {status} within {deadline} (last: {last}):\n{Output}");
    }

    /// <summary>The node's operator token: the configured one, else the one it made into its data folder at start.</summary>
    public string OperatorToken => _configuredOperatorToken ?? File.ReadAllText(Path.Combine(DataDirectory, "operator.token")).Trim();

    /// <summary>GET with the operator token, e.g. for /readyz's details or /metrics.</summary>
    public async Task<HttpResponseMessage> GetAsOperatorAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", OperatorToken);
        return await Http.SendAsync(request);
    }

    /// <summary>Waits for the process to end by itself (e.g. refused configuration).</summary>
    public async Task<int> WaitForExitAsync(TimeSpan deadline)
    {
        using var cts = new CancellationTokenSource(deadline);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>
    /// SIGTERM, as a service manager stops a node (the host drains, commits and leaves its groups); SIGKILL when it
    /// has not ended within <paramref name="deadline"/>. True when it ended by itself.
    /// </summary>
    public async Task<bool> TerminateAsync(TimeSpan deadline)
    {
        if (_process.HasExited)
        {
            return true;
        }

        using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await term.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(deadline);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            Kill();
            await _process.WaitForExitAsync();
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void Capture(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }


    private static IEnumerable<KeyValuePair<string, string>> ServiceEndpointsEnvironment()
    {
        var services = Services.ServiceEndpoints.Current;
        yield return new("DCS_INFLUX_URL", services.InfluxUrl);
        yield return new("DCS_INFLUX_USER", services.InfluxUser);
        yield return new("DCS_INFLUX_PASSWORD", services.InfluxPassword);
    }
}
