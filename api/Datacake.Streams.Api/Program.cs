using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Backups;
using Datacake.Streams.Api.Hosting;
using Datacake.Streams.Api.Observability;
using Datacake.Streams.Ingest.Http;
using Datacake.Streams.Ingest.Webhooks;
using Datacake.Streams.Api.Grafana;
using Datacake.Streams.Api.Queries;
using Datacake.Streams.Api.Retention;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);
builder.AddStreamsHost();

var app = builder.Build();
app.MapHealthApi();
app.MapObservabilityApi();
app.MapAccessApi();
app.MapDeviceIngestApi();
app.MapWebhookIngestApi();
if (app.Services.GetRequiredService<IOptions<StreamsOptions>>().Value.ParsedRoles.HasFlag(NodeRoles.Api))
{
    app.MapQueryApi();
    app.MapGrafanaApi();
    app.MapRetentionApi();
}

app.MapBackupApi();
app.Run();

/// <summary>Entry point; public so integration tests can start the real host.</summary>
public partial class Program;
