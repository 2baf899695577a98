using System.Text.RegularExpressions;
using Datacake.Streams.ReliabilityReport;

namespace Datacake.Streams.UnitTests.Tools.ReliabilityReport;

/// <summary>The committed catalog (ops/reliability/scenarios.json) against the test sources it names.</summary>
public sealed class ScenarioCatalogTests
{
    private static readonly ScenarioCatalog s_catalog = ScenarioCatalog.Load(Path.Combine(RepositoryRoot.Path, "ops", "reliability", "scenarios.json"));

    [Fact]
    public void The_catalog_holds_issue_19s_27_scenarios_the_long_storm_and_the_10M_point_drill()
    {
        Assert.Equal(29, s_catalog.Rows.Count);
        Assert.All(s_catalog.Rows, r => Assert.True(r.Tests.Count > 0 || r.Missing is not null || r.Slow is not null, $"{r.Id}: no test, nothing said missing"));
    }

    [Fact]
    public void Every_test_a_fast_row_names_exists_and_carries_the_rows_trait()
    {
        // The runner selects tests by trait and reads verdicts by name: a test renamed, or a trait dropped, shows
        // here first instead of as a row that did not run.
        var sources = Directory.EnumerateFiles(Path.Combine(RepositoryRoot.Path, "tests"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText)
            .ToList();
        var wrong = new List<string>();
        foreach (var row in s_catalog.Rows.Where(r => r.Slow is null))
        {
            foreach (var test in row.Tests)
            {
                var parts = test.Split('.');
                var (ns, type, method) = (string.Join('.', parts[..^2]), parts[^2], parts[^1]);
                var source = sources.FirstOrDefault(s => s.Contains($"namespace {ns};", StringComparison.Ordinal)
                    && Regex.IsMatch(s, $@"\bclass {type}\b") && Regex.IsMatch(s, $@"\b(void|Task) {method}\("));
                if (source is null)
                {
                    wrong.Add($"{row.Id}: {test} not found");
                    continue;
                }

                var attributes = Regex.Match(source, $@"((?:\s*\[[^\]]*\])+)\s*public (?:async )?(?:void|Task) {method}\(").Groups[1].Value;
                if (!attributes.Contains($"[Trait(\"{ScenarioCatalog.TraitName}\", \"{row.Id}\")]", StringComparison.Ordinal))
                {
                    wrong.Add($"{row.Id}: {test} lacks [Trait(\"{ScenarioCatalog.TraitName}\", \"{row.Id}\")]");
                }
            }
        }

        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }
}
