using Datacake.Streams.Hosting;
using YamlDotNet.RepresentationModel;

namespace Datacake.Streams.UnitTests.Host.Hosting;

/// <summary>
/// compose.yaml starts healthy and configures the host only with keys it reads: every service has a healthcheck, the
/// host's services wait for Kafka and InfluxDB and Grafana for the api, every variable given to the host is a key or a
/// DCS_* alias, Grafana gets its token and the api's certificate names the host Grafana dials; .dockerignore keeps the
/// data and secrets out of the build context.
/// </summary>
public sealed class ComposeDeploymentTests
{
    /// <summary>Services built from ops/Dockerfile: the host in its roles.</summary>
    private static readonly string[] HostServices = ["ingest", "processor-1", "processor-2", "api"];

    [Fact]
    public void Every_service_has_a_healthcheck_with_a_command()
    {
        var services = Services();
        Assert.NotEmpty(services);
        foreach (var (name, service) in services)
        {
            var check = Assert.IsType<YamlMappingNode>(Child(service, "healthcheck"), exactMatch: false);
            var test = Assert.IsType<YamlSequenceNode>(Child(check, "test"), exactMatch: false);
            var words = test.Children.OfType<YamlScalarNode>().Select(n => n.Value).ToList();
            Assert.True(words.Count > 1 && words[0] is "CMD" or "CMD-SHELL", $"{name}: healthcheck test must be a CMD list, got {string.Join(' ', words)}");
            Assert.NotNull(Child(check, "start_period"));
        }
    }

    [Fact]
    public void Host_services_probe_readiness_on_their_loopback_listener_with_a_tool_of_the_image()
    {
        var services = Services();
        var dockerfile = File.ReadAllLines(Path.Combine(RepositoryRoot.Path, "ops", "Dockerfile"));
        var finalStage = dockerfile.Skip(Array.FindLastIndex(dockerfile, l => l.StartsWith("FROM ", StringComparison.Ordinal))).ToArray();
        foreach (var name in HostServices)
        {
            var test = (YamlSequenceNode)Child((YamlMappingNode)Child(services[name], "healthcheck")!, "test")!;
            var words = test.Children.OfType<YamlScalarNode>().Select(n => n.Value!).ToList();
            var httpUrl = Environment(services[name])["DCS_HTTP_URL"];
            Assert.Contains($"{httpUrl}/readyz", words);

            // The tool must be installed in the runtime stage (the aspnet base image has neither curl nor wget).
            Assert.Contains(finalStage, l => l.Contains("apt-get install", StringComparison.Ordinal) && l.Split(' ').Contains(words[1]));
        }
    }

    [Fact]
    public void Services_start_after_what_they_need_is_healthy()
    {
        var services = Services();
        foreach (var name in HostServices)
        {
            Assert.Equal("service_healthy", DependencyCondition(services[name], "kafka"));
            Assert.Equal("service_healthy", DependencyCondition(services[name], "influxdb"));
        }

        Assert.Equal("service_healthy", DependencyCondition(services["grafana"], "api"));
    }

    [Fact]
    public void Every_variable_given_to_the_host_is_a_key_or_an_alias_it_reads()
    {
        var services = Services();
        var aliases = EnvironmentAliases.Map.Select(a => a.Variable).ToHashSet(StringComparer.Ordinal);
        var unknown = new List<string>();
        foreach (var name in HostServices)
        {
            foreach (var variable in Environment(services[name]).Keys)
            {
                var known = variable.StartsWith("DCS_", StringComparison.Ordinal)
                    ? aliases.Contains(variable)
                    : variable.Contains("__", StringComparison.Ordinal) && ConfigurationKeys.Exists(variable.Replace("__", ":", StringComparison.Ordinal));
                if (!known)
                {
                    unknown.Add($"{name}: {variable}");
                }
            }
        }

        Assert.Empty(unknown);
        Assert.Equal("Kafka", Environment(services["ingest"])["DCS_RECORD_LOG"]);
        Assert.Contains(EnvironmentAliases.Map, a => a is ("DCS_KAFKA_BOOTSTRAP", "RecordLog:Kafka:BootstrapServers"));
    }

    [Fact]
    public void Grafana_gets_its_token_from_the_operator_and_the_api_certificate_names_the_host_grafana_dials()
    {
        var services = Services();
        var grafana = Environment(services["grafana"]);

        // From the operator's environment or .env, never a value written into the file.
        Assert.Matches(@"^\$\{DCS_GRAFANA_TOKEN(:-|:\?[^}]*)?\}$", grafana["DCS_GRAFANA_TOKEN"]);
        var datasource = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "ops", "grafana", "provisioning", "datasources", "datacake.yaml"));
        Assert.Contains("${DCS_GRAFANA_TOKEN}", datasource, StringComparison.Ordinal);
        Assert.Contains("${DCS_API_URL}", datasource, StringComparison.Ordinal);

        var apiHost = new Uri(grafana["DCS_API_URL"]).Host;
        var api = Environment(services["api"]);
        var names = api.Where(e => e.Key.StartsWith("Streams__CertificateNames__", StringComparison.Ordinal)).Select(e => e.Value).ToList();
        Assert.Contains(apiHost, names);
        Assert.DoesNotContain(api.Keys, k => k is "DCS_CERTIFICATE" or "Streams__CertificatePath");
    }

    [Fact]
    public void Compose_file_has_no_obsolete_version_key()
    {
        Assert.Null(Child(Root(), "version"));
    }

    [Fact]
    public void Dockerignore_keeps_data_services_state_build_output_and_secrets_out_of_the_build_context()
    {
        var path = Path.Combine(RepositoryRoot.Path, ".dockerignore");
        Assert.True(File.Exists(path), ".dockerignore is missing: COPY . . in ops/Dockerfile would take data/ and .services/ into the image");
        var patterns = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToHashSet(StringComparer.Ordinal);
        string[] required = ["data/", ".services/", ".bench/", "**/bin/", "**/obj/", "**/TestResults/", "secrets/", ".env", "*.pfx", "*.key"];
        Assert.Empty(required.Except(patterns).ToList());
        Assert.DoesNotContain(patterns, p => p.StartsWith('!'));
    }

    private static YamlMappingNode Root()
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(Path.Combine(RepositoryRoot.Path, "compose.yaml"));
        yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    private static Dictionary<string, YamlMappingNode> Services() =>
        ((YamlMappingNode)Child(Root(), "services")!).Children
            .ToDictionary(e => ((YamlScalarNode)e.Key).Value!, e => (YamlMappingNode)e.Value, StringComparer.Ordinal);

    /// <summary>A key of a mapping, with YAML merge keys (<c>&lt;&lt;: *anchor</c>) applied the way compose applies them.</summary>
    private static YamlNode? Child(YamlMappingNode node, string key)
    {
        if (node.Children.TryGetValue(new YamlScalarNode(key), out var value))
        {
            return value;
        }

        return node.Children.TryGetValue(new YamlScalarNode("<<"), out var merged) && merged is YamlMappingNode parent ? Child(parent, key) : null;
    }

    /// <summary>A service's environment, merged anchors included (the service's own entries win).</summary>
    private static Dictionary<string, string> Environment(YamlMappingNode service)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        Collect(Child(service, "environment") as YamlMappingNode, result);
        return result;

        static void Collect(YamlMappingNode? mapping, Dictionary<string, string> into)
        {
            if (mapping is null)
            {
                return;
            }

            if (mapping.Children.TryGetValue(new YamlScalarNode("<<"), out var merged))
            {
                Collect(merged as YamlMappingNode, into);
            }

            foreach (var (key, value) in mapping.Children)
            {
                if (key is YamlScalarNode { Value: { } name } && name != "<<")
                {
                    into[name] = ((YamlScalarNode)value).Value ?? "";
                }
            }
        }
    }

    private static string? DependencyCondition(YamlMappingNode service, string dependency) =>
        Child(service, "depends_on") is YamlMappingNode dependsOn && Child(dependsOn, dependency) is YamlMappingNode entry
            ? (Child(entry, "condition") as YamlScalarNode)?.Value
            : null;
}
