using Datacake.Streams.Files;
using Datacake.Streams.Hosting;
using Datacake.Streams.Hosting.Composition;

// Before anything is written: what libraries and influxd backup create is owner-only too (issue 17).
PrivateFile.RestrictNewFilesToOwner();

// Configuration is read once at start (no option is reloaded live). A reload watcher would watch the whole working
// folder, and with the data folder inside it (ops/run.sh's ./data) every log commit (one file made and one removed per
// partition every 2 ms under load) woke it: 2.5% of the host's CPU in an MQTT load run (docs/BENCHMARKS.md).
var builder = WebApplication.CreateBuilder([.. args, "--hostBuilder:reloadConfigOnChange=false"]);
builder.AddStreamsHost();

var app = builder.Build();
app.MapStreamsEndpoints();
app.Run();

/// <summary>Entry point; public so integration tests can start the real host.</summary>
public partial class Program;
