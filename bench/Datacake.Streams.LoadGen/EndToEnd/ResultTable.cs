using System.Globalization;
using System.Text;

namespace Datacake.Streams.LoadGen.EndToEnd;

/// <summary>
/// <c>loadgen table --results FILE [--half-results FILE] [--median-runs FILE]</c>: the markdown table of ops/bench/e2e.sh
/// from the <c>result ...</c> lines of every run (one per line, optionally after tab-separated columns). Per scenario:
/// points/s as median (min–max) over its runs, every other measured column as its own median over the runs, missing
/// and duplicated points summed over all runs (one is a failure in any run), ratios of the medians to the InfluxDB
/// ceiling (direct-2w) and to Node-RED's batch flow, the load tool's own CPU beside the systems'. <c>--half-results</c>
/// holds the paced runs at half of each run's saturated rate: their latency goes beside the saturated one, their
/// losses into the sums. <c>--median-runs</c> receives <c>scenario run</c> for the run whose rate is nearest the
/// median (for the plot).
/// </summary>
internal static class ResultTable
{
    public const string Usage = """
          loadgen table --results FILE [--half-results FILE] [--median-runs FILE]
        """;

    private const string Ceiling = "direct-2w";
    private const string NodeRed = "node-red";
    private static readonly string[] _systems = ["host", "node-red"];

    public static async Task<int> RunAsync(IReadOnlyDictionary<string, string> options)
    {
        var lines = await File.ReadAllLinesAsync(LoadCommand.Required(options, "results"));
        var half = options.TryGetValue("half-results", out var halfPath) && File.Exists(halfPath) ? await File.ReadAllLinesAsync(halfPath) : [];
        var (table, scenarios) = Render(lines, half);
        Console.Write(table);
        if (options.TryGetValue("median-runs", out var medianRuns))
        {
            await File.WriteAllLinesAsync(medianRuns, scenarios.Select(s => $"{s.Name} {s.MedianRun()}"));
        }

        return 0;
    }

    /// <summary>The table of the saturated runs' result lines and the half-load runs' lines, and the scenarios in order.</summary>
    internal static (string Table, List<Scenario> Scenarios) Render(IEnumerable<string> lines, IEnumerable<string> halfLines)
    {
        var scenarios = Results(lines).Select(g => new Scenario(g.Key, [.. g])).ToList();
        var halves = Results(halfLines).ToDictionary(g => g.Key, g => new Scenario(g.Key, [.. g]), StringComparer.Ordinal);
        var ceiling = scenarios.FirstOrDefault(s => s.Name == Ceiling)?.Median("rate") ?? double.NaN;
        var nodeRed = scenarios.FirstOrDefault(s => s.Name == NodeRed)?.Median("rate") ?? double.NaN;

        var table = new StringBuilder()
            .AppendLine("| scenario | runs | points per run | points/s median (min–max) | × direct-2w | × node-red | missing = lost (all runs) | duplicates (all runs) | latency p50 / p99 ms, saturated | half load: offered points/s, latency p50 / p99 ms | CPU s per 100k points: system / influxd / mosquitto / load tool | peak RSS MiB: system / influxd / mosquitto | target |")
            .AppendLine("|---|---:|---:|---|---:|---:|---:|---:|---:|---|---|---|---|");
        foreach (var s in scenarios)
        {
            var rate = s.Median("rate");
            var h = halves.GetValueOrDefault(s.Name);
            var lost = s.Sum("missing") + (h?.Sum("missing") ?? 0);
            var duplicates = s.Sum("duplicates") + (h?.Sum("duplicates") ?? 0);
            var halfLatency = h is null ? "-" : string.Create(CultureInfo.InvariantCulture, $"{h.Median("offered_rate"):0}: {h.Median("p50_ms"):0} / {h.Median("p99_ms"):0}");
            var halfP99 = h?.Median("p99_ms") ?? double.NaN;
            table.AppendLine(string.Create(
                CultureInfo.InvariantCulture,
                $"| {s.Name} | {s.Runs.Count} | {s.Median("acked"):0} | {rate:0} ({s.Min("rate"):0}–{s.Max("rate"):0}) | {Ratio(rate, ceiling)} | {Ratio(rate, nodeRed)} | {lost:0} | {duplicates:0} | {s.Median("p50_ms"):0} / {s.Median("p99_ms"):0} | {halfLatency} | {s.CpuPer100K(_systems)} / {s.CpuPer100K("influxd")} / {s.CpuPer100K("mosquitto")} / {s.CpuPer100K("loadgen")} | {s.Rss(_systems)} / {s.Rss("influxd")} / {s.Rss("mosquitto")} | {Target(s.Name, rate, ceiling, nodeRed, halfP99)} |"));
        }

        return (table.ToString(), scenarios);
    }

    // A line of the runner's TSV is "scenario<TAB>run<TAB>result ...": the result line carries everything.
    private static IEnumerable<IGrouping<string, Dictionary<string, string>>> Results(IEnumerable<string> lines) =>
        lines
            .Select(l => l.Split('\t')[^1])
            .Where(l => l.StartsWith("result ", StringComparison.Ordinal))
            .Select(Parse)
            .GroupBy(r => r["name"]);

    private static Dictionary<string, string> Parse(string line) =>
        line.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Skip(1)
            .Select(f => f.Split('=', 2))
            .Where(kv => kv.Length == 2)
            .ToDictionary(kv => kv[0], kv => kv[1], StringComparer.Ordinal);

    private static string Ratio(double value, double reference) =>
        double.IsFinite(reference) && reference > 0 && double.IsFinite(value)
            ? (value / reference).ToString("0.00", CultureInfo.InvariantCulture)
            : "-";

    /// <summary>The issues' acceptance targets (issue 21 for http, mqtt-own, bridge), read against medians of the same run.</summary>
    private static string Target(string name, double rate, double ceiling, double nodeRed, double halfP99)
    {
        static string Met(bool met) => met ? "met" : "missed";
        var hasNodeRed = double.IsFinite(nodeRed) && nodeRed > 0;
        var halfLoad = double.IsFinite(halfP99) ? $"; half-load p99 ≤ 1 s: {Met(halfP99 <= 1000)}" : "";
        return name switch
        {
            Ceiling => "ceiling",
            "http" => double.IsFinite(ceiling) ? $"≥ 0.8× ceiling: {Met(rate / ceiling >= 0.8)}{halfLoad}" : halfLoad.TrimStart(';', ' '),
            "write" => double.IsFinite(ceiling) ? $"≥ 0.5× ceiling: {Met(rate / ceiling >= 0.5)}" : "-",
            "mqtt-own" => $"≥ 15k/s: {Met(rate >= 15_000)}" + (hasNodeRed ? $"; ≥ 3× Node-RED: {Met(rate / nodeRed >= 3)}" : "") + halfLoad,
            "bridge" => (hasNodeRed ? $"≥ 2× Node-RED: {Met(rate / nodeRed >= 2)}" : "-") + halfLoad,
            _ => "-",
        };
    }

    internal sealed record Scenario(string Name, List<Dictionary<string, string>> Runs)
    {
        public double Median(string key) => MedianOf(Values(key));

        public double Min(string key) => Values(key).DefaultIfEmpty(double.NaN).Min();

        public double Max(string key) => Values(key).DefaultIfEmpty(double.NaN).Max();

        public double Sum(string key) => Values(key).Sum();

        /// <summary>Median over the runs of a process's CPU seconds per 100,000 stored points; "-" when not watched.</summary>
        public string CpuPer100K(params string[] processes)
        {
            var process = processes.FirstOrDefault(p => Runs.Any(r => r.ContainsKey("cpu_" + p)));
            if (process is null)
            {
                return "-";
            }

            var perRun = Runs
                .Where(r => Number(r, "stored") > 0)
                .Select(r => Number(r, "cpu_" + process) / Number(r, "stored") * 100_000)
                .Where(double.IsFinite)
                .ToList();
            return perRun.Count > 0 ? MedianOf(perRun).ToString("0.00", CultureInfo.InvariantCulture) : "-";
        }

        public string Rss(params string[] processes)
        {
            var process = processes.FirstOrDefault(p => Runs.Any(r => r.ContainsKey("rss_" + p)));
            return process is null ? "-" : Median("rss_" + process).ToString("0", CultureInfo.InvariantCulture);
        }

        /// <summary>The run whose rate is nearest the median (the lower one on a tie).</summary>
        public string MedianRun()
        {
            var median = Median("rate");
            return Runs.OrderBy(r => Math.Abs(Number(r, "rate") - median)).ThenBy(r => Number(r, "rate")).First().GetValueOrDefault("run", "1");
        }

        private List<double> Values(string key) =>
            [.. Runs.Where(r => r.ContainsKey(key)).Select(r => Number(r, key)).Where(double.IsFinite)];

        private static double MedianOf(List<double> values)
        {
            if (values.Count == 0)
            {
                return double.NaN;
            }

            values.Sort();
            var middle = values.Count / 2;
            return values.Count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
        }

        private static double Number(Dictionary<string, string> run, string key) =>
            run.TryGetValue(key, out var text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
                ? value
                : double.NaN;
    }
}
