using System.Globalization;
using Datacake.Streams.IntegrationTests.Services;

namespace Datacake.Streams.IntegrationTests.Backups;

/// <summary>
/// compose.yaml is valid for Debian's docker-compose (no Docker engine needed for <c>config</c>), and the image it builds
/// runs the host as a non-root user that owns the folders compose mounts its volumes on.
/// </summary>
public sealed class ComposeFileTests
{
    [Fact]
    public async Task Compose_file_passes_docker_compose_config()
    {
        var compose = Path.Combine(RepositoryRoot(), "compose.yaml");

        // The required secrets, as an operator sets them; docker-compose refuses the file without them.
        var result = await ExternalCommand.RunAsync(
            "env",
            TimeSpan.FromSeconds(60),
            "DCS_INFLUX_PASSWORD=p", "DCS_ADAPTER_KEY=a", "DCS_REGISTRY_KEY=r", "DCS_OPERATOR_TOKEN=t", "GRAFANA_ADMIN_PASSWORD=g",
            "docker-compose", "-f", compose, "config", "-q");
        Assert.True(result.ExitCode == 0, $"docker-compose config failed ({result.ExitCode}); install it with ops/services.sh up:\n{result.Error}");

        var missing = await ExternalCommand.RunAsync("env", TimeSpan.FromSeconds(60), "-i", "PATH=/usr/bin:/bin", "docker-compose", "-f", compose, "config", "-q");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("DCS_", missing.Error, StringComparison.Ordinal);

        // Grafana's token comes from the operator (environment or .env) once a read token exists, into Grafana only;
        // the file above passed without it, as on the first start.
        var token = "tok-" + Guid.NewGuid().ToString("N");
        var resolved = await ExternalCommand.RunAsync(
            "env",
            TimeSpan.FromSeconds(60),
            "DCS_INFLUX_PASSWORD=p", "DCS_ADAPTER_KEY=a", "DCS_REGISTRY_KEY=r", "DCS_OPERATOR_TOKEN=t", "GRAFANA_ADMIN_PASSWORD=g", $"DCS_GRAFANA_TOKEN={token}",
            "docker-compose", "-f", compose, "config");
        Assert.Equal(0, resolved.ExitCode);
        var tokenLines = resolved.Output.Split('\n').Where(l => l.Contains(token, StringComparison.Ordinal)).Select(l => l.Trim()).ToList();
        Assert.Equal([$"DCS_GRAFANA_TOKEN: {token}"], tokenLines);
    }

    [Fact]
    public void Image_runs_as_a_non_root_user_owning_every_folder_compose_mounts()
    {
        var root = RepositoryRoot();
        var dockerfile = File.ReadAllLines(Path.Combine(root, "ops", "Dockerfile"));
        var finalStage = dockerfile.Skip(Array.FindLastIndex(dockerfile, l => l.StartsWith("FROM ", StringComparison.Ordinal))).ToArray();

        var user = finalStage.LastOrDefault(l => l.StartsWith("USER ", StringComparison.Ordinal));
        Assert.True(user is not null, "the final stage of ops/Dockerfile has no USER: the host would run as root");
        var uid = user["USER ".Length..].Split(':')[0].Trim();
        Assert.True(int.TryParse(uid, CultureInfo.InvariantCulture, out var number) && number > 0, $"USER must be a fixed non-zero uid, not '{uid}'");

        // Every folder the host's services mount a volume on (the data folder, the backups, the second site).
        var mounts = File.ReadAllLines(Path.Combine(root, "compose.yaml"))
            .Select(l => l.Trim())
            .Where(l => (l.StartsWith("- ", StringComparison.Ordinal) && l.Contains("-data:/data", StringComparison.Ordinal)) || l is "- backups:/backups" or "- backup-site-2:/backup-site-2")
            .Select(l => l[(l.LastIndexOf(':') + 1)..])
            .ToHashSet(StringComparer.Ordinal);
        Assert.Equal(["/backup-site-2", "/backups", "/data"], mounts.Order(StringComparer.Ordinal));

        var created = finalStage.FirstOrDefault(l => l.Contains($"install -d -m 0700 -o {uid} -g {uid} ", StringComparison.Ordinal));
        Assert.True(created is not null, $"ops/Dockerfile does not create the mounted folders 0700 owned by {uid}");
        var missing = mounts.Where(m => !created.Split(' ').Contains(m)).ToList();
        Assert.True(missing.Count == 0, $"not created 0700 and owned by uid {uid} in the image (the volume would be root's): {string.Join(", ", missing)}");
        var runsAfter = Array.IndexOf(finalStage, user) > Array.FindIndex(finalStage, l => l.Contains("install -d", StringComparison.Ordinal));
        Assert.True(runsAfter, "USER must come after the folders are created (they need root to chown)");
    }

    private static string RepositoryRoot()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Datacake.Streams.sln")))
        {
            root = root.Parent;
        }

        Assert.NotNull(root);
        return root.FullName;
    }
}
