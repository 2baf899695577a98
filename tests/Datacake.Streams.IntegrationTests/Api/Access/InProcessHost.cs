using System.Net.Sockets;
using System.Net;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Hosting.Composition;
using Datacake.Streams.Hosting;
using Datacake.Streams.IntegrationTests.Services;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Datacake.Streams.IntegrationTests.Api.Access;

/// <summary>
/// The host composed exactly as Program.cs composes it (AddStreamsHost, MapHealthApi, MapAccessApi) on real Kestrel,
/// inside the test process: for tests that need the node's own record log, e.g. to feed a second registry view from
/// the embedded FasterLog, which only one process can open.
/// </summary>
public sealed class InProcessHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private InProcessHost(WebApplication app, HttpClient http)
    {
        _app = app;
        Api = new ApiClient(http);
    }

    public ApiClient Api { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Starts the host on <paramref name="dataDirectory"/>; <paramref name="settings"/> are further <c>Key=value</c> settings (e.g. limits a test lifts).</summary>
    public static async Task<InProcessHost> StartAsync(string dataDirectory, string operatorToken, IEnumerable<string>? settings = null)
    {
        var services = ServiceEndpoints.Current;
        var port = TestPorts.Free();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = "Production",
            ContentRootPath = dataDirectory,
            Args =
            [
                $"--Streams:DataDirectory={dataDirectory}",
                $"--Streams:HttpUrl=http://127.0.0.1:{port}",

                // A port of its own: with the default 1883, two of these hosts in parallel test classes collided.
                $"--Ingest:Mqtt:PlainEndpoint=127.0.0.1:{TestPorts.Free()}",
                $"--Influx:Url={services.InfluxUrl}",
                $"--Influx:User={services.InfluxUser}",
                $"--Influx:Password={services.InfluxPassword}",
                $"--Access:OperatorToken={operatorToken}",
                .. (settings ?? []).Select(setting => "--" + setting),
            ],
        });
        builder.AddStreamsHost();
        var app = builder.Build();
        app.MapStreamsEndpoints();
        await app.StartAsync();
        return new InProcessHost(app, new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) });
    }

    public T Get<T>()
        where T : notnull => _app.Services.GetRequiredService<T>();

    public async ValueTask DisposeAsync()
    {
        Api.Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

}
