using System.Text.Json;

namespace Datacake.Streams.ReliabilityReport;

/// <summary>The rows in their order, as ops/reliability/scenarios.json lists them.</summary>
public sealed record ScenarioCatalog(IReadOnlyList<Scenario> Rows)
{
    public const string TraitName = "Reliability";

    public static ScenarioCatalog Load(string path) => Parse(File.ReadAllText(path));

    public static ScenarioCatalog Parse(string json)
    {
        var rows = JsonSerializer.Deserialize<List<Scenario>>(json, Json.Options)
            ?? throw new FormatException("the scenario catalog is empty");
        var twice = rows.GroupBy(r => r.Id, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (twice.Count > 0)
        {
            throw new FormatException($"row ids listed twice: {string.Join(", ", twice)}");
        }

        return new ScenarioCatalog(rows);
    }

    /// <summary>
    /// The <c>dotnet test --filter</c> that runs the tests of the rows given (by trait), or null when they name none.
    /// </summary>
    public static string? Filter(IEnumerable<Scenario> rows)
    {
        var ids = rows.Where(r => r.Tests.Count > 0).Select(r => $"{TraitName}={r.Id}").ToList();
        return ids.Count == 0 ? null : string.Join('|', ids);
    }
}
