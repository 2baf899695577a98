using Datacake.Streams.Api.Backups;
using Datacake.Streams.Api.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddStreamsHost();

var app = builder.Build();
app.MapHealthApi();
app.MapBackupApi();
app.Run();

/// <summary>Entry point; public so integration tests can start the real host.</summary>
public partial class Program;
