using Datacake.Streams.LoadGen.EndToEnd;

namespace Datacake.Streams.UnitTests.Bench.LoadGen;

public sealed class ResultTableTests
{
    private static readonly string[] _saturated =
    [
        "mqtt-own\t1\tresult name=mqtt-own run=1 points=1000 acked=1000 rate=30000 stored=1000 missing=0 duplicates=0 p50_ms=100 p99_ms=400 cpu_loadgen=0.10 cpu_host=1.00",
        "mqtt-own\t2\tresult name=mqtt-own run=2 points=1000 acked=1000 rate=36000 stored=1000 missing=0 duplicates=0 p50_ms=120 p99_ms=500 cpu_loadgen=0.30 cpu_host=1.20",
        "node-red\t1\tresult name=node-red run=1 points=1000 acked=1000 rate=10000 stored=1000 missing=0 duplicates=0 p50_ms=900 p99_ms=1500",
    ];

    private static readonly string[] _half =
    [
        "mqtt-own\t1\tresult name=mqtt-own run=1 points=150 acked=150 rate=15000 offered_rate=15000 stored=150 missing=2 duplicates=0 p50_ms=20 p99_ms=800",
        "mqtt-own\t2\tresult name=mqtt-own run=2 points=180 acked=180 rate=18000 offered_rate=18000 stored=180 missing=0 duplicates=0 p50_ms=30 p99_ms=1200",
    ];

    [Fact]
    public void Half_load_latency_and_the_load_tools_cpu_stand_beside_the_saturated_figures()
    {
        var (table, _) = ResultTable.Render(_saturated, _half);
        var row = Row(table, "mqtt-own");

        Assert.Equal("33000 (30000–36000)", row[3]);
        Assert.Equal("2", row[6]);                      // half-load losses count in the sums
        Assert.Equal("110 / 450", row[8]);
        Assert.Equal("16500: 25 / 1000", row[9]);      // medians of offered rate, p50, p99
        Assert.EndsWith("/ 20.00", row[10], StringComparison.Ordinal); // load tool: median of 10 and 30 CPU-s per 100k
        Assert.Contains("≥ 3× Node-RED: met", row[12], StringComparison.Ordinal);
        Assert.Contains("half-load p99 ≤ 1 s: met", row[12], StringComparison.Ordinal);
    }

    [Fact]
    public void A_scenario_without_a_half_load_run_shows_none()
    {
        var (table, _) = ResultTable.Render(_saturated, []);

        Assert.Equal("-", Row(table, "node-red")[9]);
        Assert.DoesNotContain("half-load", Row(table, "mqtt-own")[12], StringComparison.Ordinal);
    }

    private static string[] Row(string table, string scenario) =>
        table.Split('\n').Single(l => l.StartsWith($"| {scenario} |", StringComparison.Ordinal))
            .Split('|').Skip(1).SkipLast(1).Select(c => c.Trim()).ToArray();
}
