using System.Text.Json;

namespace Datacake.Streams.ReliabilityReport;

/// <summary>
/// The last run of a slow row (the 30-minute soak, the long rebalance storm, ...): kept in a committed file
/// (ops/reliability/slow-runs.json) so that a run without <c>--slow</c> still states when each last ran and how.
/// </summary>
public sealed record SlowRun(DateTimeOffset RanAt, bool Passed, string Command, MeasuredNumbers? Numbers = null, string? Commit = null);

/// <summary>The committed file of <see cref="SlowRun"/>s by row id.</summary>
public static class SlowRuns
{
    public static SortedDictionary<string, SlowRun> Load(string path)
    {
        if (!File.Exists(path))
        {
            return new SortedDictionary<string, SlowRun>(StringComparer.Ordinal);
        }

        var runs = JsonSerializer.Deserialize<Dictionary<string, SlowRun>>(File.ReadAllText(path), Json.Options) ?? [];
        return new SortedDictionary<string, SlowRun>(runs, StringComparer.Ordinal);
    }

    public static void Save(string path, SortedDictionary<string, SlowRun> runs) =>
        File.WriteAllText(path, JsonSerializer.Serialize(runs, Json.Options) + "\n");
}
