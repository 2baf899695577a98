using System.Text;
using Datacake.Streams.Api.Backups;
using Datacake.Streams.Ids;
using Datacake.Streams.IntegrationTests.Services;

namespace Datacake.Streams.IntegrationTests.Backups;

/// <summary>ops/failover-drill.sh on a small data set: its own influxd, the second site's backups alone.</summary>
public sealed class FailoverDrillTests
{
    [Fact]
    public async Task Drill_restores_the_second_site_into_a_fresh_influxd_prints_rpo_and_rto_and_fails_on_a_damaged_file()
    {
        await using var bed = await BackupTestBed.CreateAsync();
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-15).ToUnixTimeMilliseconds() * 1_000_000L;
        var lines = new StringBuilder();
        for (var i = 0; i < 300; i++)
        {
            lines.Append("values,device=").Append(DeviceId.New()).Append(" temperature=").Append(i).Append(' ').Append(t0 + (i * 1_000_000_000L)).Append('\n');
        }

        await bed.WriteAsync("raw", lines.ToString());
        await bed.Service.TakeAsync(new BackupRequest(), CancellationToken.None);
        await bed.WriteAsync("raw", lines.ToString().Replace("temperature=", "humidity=", StringComparison.Ordinal));
        await bed.WriteAsync("meta", $"meta,device={DeviceId.New()} rssi=-90 {t0}\n");
        var last = await bed.Service.TakeAsync(new BackupRequest(), CancellationToken.None);
        Assert.Equal(BackupKind.Incremental, last.Kind);

        var (root, dcs) = Paths();
        var started = DateTime.UtcNow;
        var drill = await ExternalCommand.RunAsync(
            "bash", TimeSpan.FromSeconds(60), Path.Combine(root, "ops", "failover-drill.sh"), "--secondary", bed.Options.SecondaryDirectory!, "--dcs", $"dotnet {dcs}");
        Assert.True(drill.ExitCode == 0, $"drill exited {drill.ExitCode}\n{drill.Output}\n{drill.Error}");
        Assert.Contains("drill: counts=ok", drill.Output, StringComparison.Ordinal);
        Assert.Contains($"drill: backup={last.Id}", drill.Output, StringComparison.Ordinal);
        Assert.Contains("drill: points.raw.values=300", drill.Output, StringComparison.Ordinal);
        Assert.Matches(@"RPO: \d+\.\d+ s", drill.Output);
        Assert.Matches(@"RTO: \d+\.\d+ s", drill.Output);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromMinutes(1), "the drill took a minute or more");

        // A damaged archive on the second site fails the drill with the verification exit code.
        var shard = last.Files.First(f => f.Path.EndsWith(".tar.gz", StringComparison.Ordinal));
        var path = Path.Combine(bed.Options.SecondaryDirectory!, last.Id, shard.Path);
        await File.AppendAllTextAsync(path, "x");
        var damaged = await ExternalCommand.RunAsync(
            "bash", TimeSpan.FromSeconds(60), Path.Combine(root, "ops", "failover-drill.sh"), "--secondary", bed.Options.SecondaryDirectory!, "--dcs", $"dotnet {dcs}");
        Assert.True(damaged.ExitCode == 6, $"drill exited {damaged.ExitCode}\n{damaged.Output}\n{damaged.Error}");
        Assert.Contains(shard.Path, damaged.Output, StringComparison.Ordinal);
    }

    private static (string Root, string Dcs) Paths()
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testBin.Name;
        var configuration = testBin.Parent!.Name;
        var root = testBin;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Datacake.Streams.sln")))
        {
            root = root.Parent;
        }

        Assert.True(root is not null, "Datacake.Streams.sln not found above " + AppContext.BaseDirectory);
        var dcs = Path.Combine(root.FullName, "api", "Datacake.Streams.Cli", "bin", configuration, framework, "dcs.dll");
        Assert.True(File.Exists(dcs), $"{dcs} is missing: build tests/Datacake.Streams.IntegrationTests (it builds the CLI)");
        return (root.FullName, dcs);
    }
}
