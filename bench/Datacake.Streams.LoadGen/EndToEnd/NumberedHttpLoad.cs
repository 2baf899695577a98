using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Datacake.Streams.LoadGen.EndToEnd;

/// <summary>
/// Batched HTTP ingest: C keep-alive connections each posting arrays of K numbered measurements to
/// <c>POST /v1/devices/{id}/measurements</c>, request i going to device i mod D. Acknowledged = 202.
/// </summary>
internal sealed class NumberedHttpLoad : INumberedLoad
{
    private readonly HttpClient _http;
    private readonly string _token;
    private readonly IReadOnlyList<string> _devices;
    private readonly int _connections;
    private readonly int _perRequest;

    public NumberedHttpLoad(Uri url, string token, IReadOnlyList<string> devices, int connections, int perRequest)
    {
        _token = token;
        _devices = devices;
        _connections = connections;
        _perRequest = perRequest;
        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        _http = new HttpClient(handler) { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };
    }

    public string Description => $"HTTP ingest: {_connections} connections, {_perRequest} measurements per request, {_devices.Count} devices";

    public Task ConnectAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task<bool> SendProbeAsync(long baseMs, CancellationToken cancellationToken)
    {
        var json = new StringBuilder("[");
        NumberedPoint.AppendJsonEntry(json, baseMs, NumberedPoint.ProbeSeq);
        try
        {
            return await PostAsync(_devices[0], json.Append(']').ToString(), cancellationToken) == HttpStatusCode.Accepted;
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
                var json = new StringBuilder(_perRequest * 120);
                while (await sequence.ClaimAsync(_perRequest, cancellationToken) is { Count: > 0 } claim)
                {
                    var (first, count) = claim;
                    json.Clear().Append('[');
                    for (var seq = first; seq < first + count; seq++)
                    {
                        if (seq > first)
                        {
                            json.Append(',');
                        }

                        NumberedPoint.AppendJsonEntry(json, baseMs, seq);
                    }

                    var device = _devices[(int)NumberedPoint.Modulo(first / _perRequest, _devices.Count)];
                    sends.Begin(count);
                    try
                    {
                        if (await PostAsync(device, json.Append(']').ToString(), cancellationToken) == HttpStatusCode.Accepted)
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

    private async Task<HttpStatusCode> PostAsync(string device, string body, CancellationToken cancellationToken)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/devices/{device}/measurements") { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        using var response = await _http.SendAsync(request, cancellationToken);
        return response.StatusCode;
    }
}
