using System.Reflection;
using System.Xml.Linq;
using IType = ArchUnitNET.Domain.IType;
using ArchLoader = ArchUnitNET.Loader.ArchLoader;
using Xunit;

namespace Datacake.Streams.UnitTests.Architecture;

/// <summary>
/// The layout of docs/ARCHITECTURE.md, enforced: no namespace cycle inside a production assembly (dependencies read
/// from the IL, method bodies included), the API without the pipeline, the CLI without the web host, no production
/// project on a test project, and Access importing no feature folder.
/// </summary>
public sealed class ArchitectureTests
{
    /// <summary>Every production assembly the unit tests load: one type of each.</summary>
    public static TheoryData<string> ProductionAssemblies() => new(ProductionTypes.Keys);

    private static readonly Dictionary<string, Type> ProductionTypes = new(StringComparer.Ordinal)
    {
        ["Core"] = typeof(Datacake.Streams.Records.RawRecord),
        ["Influx"] = typeof(Datacake.Streams.Influx.Client.InfluxClient),
        ["Log.Faster"] = typeof(Datacake.Streams.RecordLog.Faster.FasterRecordLog),
        ["Log.Kafka"] = typeof(Datacake.Streams.Log.Kafka.KafkaRecordLog),
        ["Ingest"] = typeof(Datacake.Streams.Ingest.IngestServices),
        ["Processing"] = typeof(Datacake.Streams.Processing.Hosting.ProcessingServices),
        ["Api"] = typeof(Datacake.Streams.Api.Access.AccessApi),
        ["Backups"] = typeof(Datacake.Streams.Backups.BackupService),
        ["Host"] = typeof(Datacake.Streams.Hosting.Composition.StreamsHostBuilder),
        ["Payloads"] = typeof(Datacake.Streams.Payloads.Time.Rfc3339),
    };

    [Theory]
    [MemberData(nameof(ProductionAssemblies))]
    public void No_namespace_cycle_inside_an_assembly(string assembly)
    {
        var examples = new Dictionary<(string From, string To), string>();
        var graph = NamespaceGraph(ProductionTypes[assembly].Assembly, examples);
        var cycles = NamespaceCycles.Find(graph);
        Assert.True(cycles.Count == 0, $"namespace cycles in {assembly}:\n" + string.Join("\n", cycles.Select(c =>
            string.Join(" <-> ", c) + "\n  " + string.Join("\n  ", examples.Where(e => c.Contains(e.Key.From) && c.Contains(e.Key.To)).Select(e => e.Value)))));
    }

    [Fact]
    public void Access_imports_no_feature_folder()
    {
        var graph = NamespaceGraph(typeof(Datacake.Streams.Api.Access.AccessApi).Assembly);
        const string access = "Datacake.Streams.Api.Access";
        var features = graph.TryGetValue(access, out var targets)
            ? targets.Where(t => t.StartsWith("Datacake.Streams.Api.", StringComparison.Ordinal) && t is not "Datacake.Streams.Api.Metadata").ToList()
            : [];
        Assert.True(features.Count == 0, "Access imports feature folders: " + string.Join(", ", features));
    }

    [Fact]
    public void The_api_does_not_reference_processing()
    {
        var closure = ProjectClosure("api/Datacake.Streams.Api/Datacake.Streams.Api.csproj");
        Assert.DoesNotContain(closure, p => p.Contains("Datacake.Streams.Processing", StringComparison.Ordinal));
        Assert.DoesNotContain(
            AssemblyClosure(typeof(Datacake.Streams.Api.Access.AccessApi).Assembly),
            name => name.StartsWith("Datacake.Streams.Processing", StringComparison.Ordinal) || name.StartsWith("Akka", StringComparison.Ordinal) || name == "Jint");
    }

    [Fact]
    public void The_cli_does_not_reference_the_web_host_or_the_api()
    {
        var closure = ProjectClosure("host/Datacake.Streams.Cli/Datacake.Streams.Cli.csproj");
        Assert.DoesNotContain(closure, p => p.EndsWith("Datacake.Streams.Host.csproj", StringComparison.Ordinal) || p.EndsWith("Datacake.Streams.Api.csproj", StringComparison.Ordinal));
        Assert.Contains(closure, p => p.EndsWith("Datacake.Streams.Backups.csproj", StringComparison.Ordinal));
    }

    [Fact]
    public void No_production_project_references_a_test_project()
    {
        var production = Directory.EnumerateFiles(RepositoryRoot.Path, "*.csproj", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(RepositoryRoot.Path, p).Replace('\\', '/'))
            .Where(p => !p.StartsWith("tests/", StringComparison.Ordinal) && !p.Contains("/bin/", StringComparison.Ordinal) && !p.Contains("/obj/", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(production);
        foreach (var project in production)
        {
            var closure = ProjectClosure(project);
            Assert.True(!closure.Any(p => p.StartsWith("tests/", StringComparison.Ordinal)), $"{project} references a test project: {string.Join(", ", closure)}");
        }
    }

    /// <summary>Namespace → the namespaces of the same assembly its types depend on.</summary>
    private static Dictionary<string, HashSet<string>> NamespaceGraph(Assembly assembly, Dictionary<(string From, string To), string>? examples = null)
    {
        var architecture = new ArchLoader().LoadAssemblies(assembly).Build();
        var graph = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (IType type in architecture.Types)
        {
            // Compiler-generated and generic-parameter types carry no namespace of their own.
            if (type.Namespace?.FullName is not { Length: > 0 } from || type.Assembly is null)
            {
                continue;
            }

            if (!graph.TryGetValue(from, out var targets))
            {
                graph[from] = targets = new HashSet<string>(StringComparer.Ordinal);
            }

            foreach (var dependency in type.Dependencies)
            {
                if (dependency.Target?.Assembly?.FullName == type.Assembly.FullName && dependency.Target.Namespace?.FullName is { Length: > 0 } to && to != from)
                {
                    if (targets.Add(to) && examples is not null)
                    {
                        examples[(from, to)] = $"{type.FullName} -> {dependency.Target.FullName}";
                    }
                }
            }
        }

        return graph;
    }

    /// <summary>Project files reachable through ProjectReference from one project (repo-relative paths).</summary>
    private static HashSet<string> ProjectClosure(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([project]);
        while (pending.TryPop(out var current))
        {
            string full = Path.Combine(RepositoryRoot.Path, current);
            Assert.True(File.Exists(full), $"project file {current} not found");
            foreach (var reference in XDocument.Load(full).Descendants("ProjectReference"))
            {
                string path = Path.GetRelativePath(RepositoryRoot.Path, Path.GetFullPath(Path.Combine(Path.GetDirectoryName(full)!, reference.Attribute("Include")!.Value))).Replace('\\', '/');
                if (seen.Add(path))
                {
                    pending.Push(path);
                }
            }
        }

        return seen;
    }

    private static HashSet<string> AssemblyClosure(Assembly root)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<Assembly>([root]);
        while (pending.TryPop(out var current))
        {
            foreach (var name in current.GetReferencedAssemblies())
            {
                if (name.Name is { } simple && seen.Add(simple) && simple.StartsWith("Datacake.Streams", StringComparison.Ordinal))
                {
                    pending.Push(Assembly.Load(name));
                }
            }
        }

        return seen;
    }
}
