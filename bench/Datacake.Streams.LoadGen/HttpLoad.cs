using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Datacake.Streams.LoadGen;

internal sealed record HttpLoadSettings(Uri Url, string Token, string Device, int Connections, int PerRequest, int Seconds);

/// <summary>N keep-alive connections, each posting batches of <c>PerRequest</c> measurements back to back.</summary>
internal static class HttpLoad
{
    public static async Task RunAsync(HttpLoadSettings settings)
    {
        var body = Encoding.UTF8.GetBytes(Batch(settings.PerRequest));
        Console.WriteLine($"HTTP {settings.Url} connections={settings.Connections} measurements/request={settings.PerRequest} body={body.Length} B");
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = settings.Connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var http = new HttpClient(handler) { BaseAddress = settings.Url, Timeout = TimeSpan.FromSeconds(30) };
        var path = $"/v1/devices/{settings.Device}/measurements";
        var meter = new Meter("measurements");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(settings.Seconds));
        var workers = Enumerable.Range(0, settings.Connections).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.Token);
                try
                {
                    using var response = await http.SendAsync(request, stop.Token);
                    if (response.StatusCode == HttpStatusCode.Accepted)
                    {
                        meter.Add(settings.PerRequest);
                    }
                    else
                    {
                        meter.Error();
                    }
                }
                catch (OperationCanceledException)
                {
                }
                catch (HttpRequestException)
                {
                    meter.Error();
                }
            }
        })).ToArray();
        await meter.ReportAsync(TimeSpan.FromSeconds(settings.Seconds), CancellationToken.None);
        await Task.WhenAll(workers);
    }

    private static string Batch(int count)
    {
        var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var entries = Enumerable.Range(0, count).Select(i =>
            $"{{\"time\":{start + i},\"values\":{{\"temperature\":{20 + (i % 10)}.5,\"humidity\":{40 + (i % 7)},\"on\":true}}}}");
        return "[" + string.Join(',', entries) + "]";
    }
}
