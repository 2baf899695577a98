using System.Text.RegularExpressions;

namespace Datacake.Streams.UnitTests.Architecture;

/// <summary>
/// The test folders mirror the source (docs/ARCHITECTURE.md): a test's folder names the project and the folder of
/// what it tests, and its namespace follows the folder, so the test of a class is found where the class is.
/// </summary>
public sealed partial class TestLayoutTests
{
    /// <summary>Top test folder → the source project it mirrors.</summary>
    private static readonly Dictionary<string, string> MirroredProjects = new(StringComparer.Ordinal)
    {
        ["Core"] = "core/Datacake.Streams.Core",
        ["Influx"] = "core/Datacake.Streams.Influx",
        ["Payloads"] = "core/Datacake.Streams.Payloads",
        ["Log.Faster"] = "core/Datacake.Streams.Log.Faster",
        ["Log.Kafka"] = "core/Datacake.Streams.Log.Kafka",
        ["Ingest"] = "ingest/Datacake.Streams.Ingest",
        ["Processing"] = "processing/Datacake.Streams.Processing",
        ["Api"] = "api/Datacake.Streams.Api",
        ["Backups"] = "api/Datacake.Streams.Backups",
        ["Host"] = "host/Datacake.Streams.Host",
        ["Bench"] = "bench",
        ["Tools"] = "tools",
    };

    /// <summary>Folders for what crosses projects: the layout rules, the whole executable, the test servers.</summary>
    private static readonly HashSet<string> CrossCutting = new(StringComparer.Ordinal) { "Architecture", "EndToEnd", "Resilience", "Services" };

    public static TheoryData<string> TestProjects() => new("Datacake.Streams.UnitTests", "Datacake.Streams.IntegrationTests");

    [Theory]
    [MemberData(nameof(TestProjects))]
    public void Test_folders_mirror_the_source_and_namespaces_follow_them(string project)
    {
        var root = Path.Combine(RepositoryRoot.Path, "tests", project);
        var wrong = new List<string>();
        foreach (var file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(root, Path.GetDirectoryName(file)!).Replace('\\', '/');
            if (relative.Split('/')[0] is "bin" or "obj" or "TestResults")
            {
                continue;
            }

            var folders = relative == "." ? [] : relative.Split('/');
            var name = Path.GetRelativePath(root, file);
            if (folders.Length > 0 && !CrossCutting.Contains(folders[0]))
            {
                if (!MirroredProjects.TryGetValue(folders[0], out var source))
                {
                    wrong.Add($"{name}: folder {folders[0]} mirrors no source project");
                }
                else
                {
                    var mirrored = Path.Combine([RepositoryRoot.Path, source, .. folders.Skip(1).Select((f, i) => folders[0] is "Bench" or "Tools" && i == 0 ? "Datacake.Streams." + f : f)]);
                    if (!Directory.Exists(mirrored))
                    {
                        wrong.Add($"{name}: {Path.GetRelativePath(RepositoryRoot.Path, mirrored)} does not exist");
                    }
                }
            }

            var expected = string.Join('.', [project, .. folders]);
            var declared = NamespaceDeclaration().Match(File.ReadAllText(file));
            if (declared.Success && declared.Groups[1].Value != expected)
            {
                wrong.Add($"{name}: namespace {declared.Groups[1].Value}, expected {expected}");
            }
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [GeneratedRegex(@"^namespace ([\w.]+);", RegexOptions.Multiline)]
    private static partial Regex NamespaceDeclaration();
}
