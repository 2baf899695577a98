using Datacake.Streams.IntegrationTests.Services;

namespace Datacake.Streams.IntegrationTests.Backups;

/// <summary>compose.yaml is valid for Debian's docker-compose (no Docker engine needed for <c>config</c>).</summary>
public sealed class ComposeFileTests
{
    [Fact]
    public async Task Compose_file_passes_docker_compose_config()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Datacake.Streams.sln")))
        {
            root = root.Parent;
        }

        Assert.NotNull(root);
        var compose = Path.Combine(root.FullName, "compose.yaml");

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
    }
}
