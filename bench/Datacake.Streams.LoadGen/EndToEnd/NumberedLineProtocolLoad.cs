using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Datacake.Streams.LoadGen.EndToEnd;

/// <summary>
/// InfluxDB line protocol into our host: C keep-alive connections each posting K numbered lines to
/// <c>POST /write?db=datacake&amp;precision=ms</c> as a Telegraf or InfluxDB client would, request i with the device
/// token of device i mod D (Basic auth, the token as password). Acknowledged = 204. The same points as the direct
/// writers send to influxd, so the two rates compare.
/// </summary>
internal sealed class NumberedLineProtocolLoad : INumberedLoad
{
    private readonly HttpClient _http;
    private readonly (string Device, string Authorization)[] _devices;
    private readonly int _connections;
    private readonly int _perRequest;

    /// <param name="deviceTokens">Lines <c>device token</c> (loadgen prepare --device-tokens-file).</param>
    public NumberedLineProtocolLoad(Uri url, IReadOnlyList<string> deviceTokens, int connections, int perRequest)
    {
        _devices = deviceTokens.Select(l => l.Split(' ', 2))
            .Select(p => (p[0], Convert.ToBase64String(Encoding.UTF8.GetBytes("loadgen:" + p[1])))).ToArray();
        if (_devices.Length == 0)
        {
            throw new ArgumentException("--device-tokens-file lists no device");
        }

        _connections = connections;
        _perRequest = perRequest;
        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        _http = new HttpClient(handler) { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };
    }

    public string Description => $"/write line protocol: {_connections} connections, {_perRequest} lines per request, {_devices.Length} device tokens";

    public Task ConnectAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task<bool> SendProbeAsync(long baseMs, CancellationToken cancellationToken)
    {
        var lines = new StringBuilder();
        NumberedPoint.AppendWriteLine(lines, baseMs, NumberedPoint.ProbeSeq);
        try
        {
            return await PostAsync(0, lines.ToString(), cancellationToken) == HttpStatusCode.NoContent;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    public Task RunAsync(SequenceSource sequence, long baseMs, SendLog sends, AckedRanges acks, CancellationToken cancellationToken) =>
        Task.WhenAll(Enumerable.Range(0, _connections).Select(_ => Task.Run(
            async () =>
            {
                var lines = new StringBuilder(_perRequest * 110);
                while (await sequence.ClaimAsync(_perRequest, cancellationToken) is { Count: > 0 } claim)
                {
                    var (first, count) = claim;
                    lines.Clear();
                    for (var seq = first; seq < first + count; seq++)
                    {
                        NumberedPoint.AppendWriteLine(lines, baseMs, seq);
                    }

                    sends.Begin(count);
                    try
                    {
                        if (await PostAsync((int)NumberedPoint.Modulo(first / _perRequest, _devices.Length), lines.ToString(), cancellationToken) == HttpStatusCode.NoContent)
                        {
                            acks.Add(first, count);
                        }
                        else
                        {
                            acks.Fail(count);
                        }
                    }
                    catch (HttpRequestException)
                    {
                        acks.Fail(count);
                    }
                }
            },
            cancellationToken)));

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<HttpStatusCode> PostAsync(int device, string body, CancellationToken cancellationToken)
    {
        using var content = new StringContent(body, Encoding.UTF8, "text/plain");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/write?db=datacake&precision=ms") { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", _devices[device].Authorization);
        using var response = await _http.SendAsync(request, cancellationToken);
        return response.StatusCode;
    }
}
