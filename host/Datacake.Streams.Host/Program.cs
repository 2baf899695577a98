using Datacake.Streams.Files;
using Datacake.Streams.Hosting;
using Datacake.Streams.Hosting.Composition;

// Before anything is written: what libraries and influxd backup create is owner-only too (issue 17).
PrivateFile.RestrictNewFilesToOwner();

var builder = WebApplication.CreateBuilder(args);
builder.AddStreamsHost();

var app = builder.Build();
app.MapStreamsEndpoints();
app.Run();

/// <summary>Entry point; public so integration tests can start the real host.</summary>
public partial class Program;
