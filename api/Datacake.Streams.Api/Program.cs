using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Hosting;
using Datacake.Streams.Ingest.Http;
using Datacake.Streams.Ingest.Webhooks;

var builder = WebApplication.CreateBuilder(args);
builder.AddStreamsHost();

var app = builder.Build();
app.MapHealthApi();
app.MapAccessApi();
app.MapDeviceIngestApi();
app.MapWebhookIngestApi();
app.Run();

/// <summary>Entry point; public so integration tests can start the real host.</summary>
public partial class Program;
