using System.Globalization;

namespace Datacake.Streams.ReliabilityReport;

/// <summary>
/// The command line of ops/reliability/run.sh's helper:
/// <c>filter --catalog C</c> prints the <c>dotnet test --filter</c> of the fast rows;
/// <c>record-slow --runs R --row ID --passed true|false --command CMD [--numbers F] [--commit SHA]</c> keeps a slow
/// row's run in the committed file R; <c>write --catalog C --trx DIR --numbers F --runs R --out MD [--commit SHA]
/// [--slow]</c> writes the table and exits 1 when a fast row failed or did not run.
/// </summary>
public static class ReportCommand
{
    public static int Run(string[] args, TextWriter output, TextWriter error, TimeProvider time)
    {
        try
        {
            var (verb, options) = Parse(args);
            return verb switch
            {
                "filter" => Filter(options, output),
                "record-slow" => RecordSlow(options, time),
                "write" => Write(options, output, time),
                _ => throw new ArgumentException($"unknown command '{verb}' (filter, record-slow, write)"),
            };
        }
        catch (Exception e) when (e is ArgumentException or FormatException or IOException or KeyNotFoundException)
        {
            error.WriteLine($"reliability-report: {e.Message}");
            return 2;
        }
    }

    private static int Filter(Dictionary<string, string> options, TextWriter output)
    {
        var catalog = ScenarioCatalog.Load(options["catalog"]);
        output.WriteLine(ScenarioCatalog.Filter(catalog.Rows.Where(r => r.Slow is null)) ?? string.Empty);
        return 0;
    }

    private static int RecordSlow(Dictionary<string, string> options, TimeProvider time)
    {
        var runs = SlowRuns.Load(options["runs"]);
        var row = options["row"];
        var numbers = options.TryGetValue("numbers", out var file) && File.Exists(file)
            ? MeasuredLine.ReadAll(File.ReadAllText(file)).LastOrDefault()?.Numbers
            : null;
        if (options.TryGetValue("note", out var note))
        {
            numbers = (numbers ?? new MeasuredNumbers()) with { Note = string.IsNullOrEmpty(numbers?.Note) ? note : $"{numbers.Note}; {note}" };
        }

        runs[row] = new SlowRun(time.GetUtcNow(), bool.Parse(options["passed"]), options["command"], numbers, options.GetValueOrDefault("commit"));
        SlowRuns.Save(options["runs"], runs);
        return 0;
    }

    private static int Write(Dictionary<string, string> options, TextWriter output, TimeProvider time)
    {
        var catalog = ScenarioCatalog.Load(options["catalog"]);
        var outcomes = TrxResults.ReadFolder(options["trx"]);
        var numbers = options.TryGetValue("numbers", out var file) && File.Exists(file) ? MeasuredLine.ReadAll(File.ReadAllText(file)) : [];
        var runs = SlowRuns.Load(options["runs"]);
        var results = catalog.Rows.Select(r => RowResult.Decide(r, outcomes, numbers, runs)).ToList();
        File.WriteAllText(options["out"], ReliabilityTable.Render(results, time.GetUtcNow(), options.GetValueOrDefault("commit"), options.ContainsKey("slow")));
        foreach (var r in results)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{ReliabilityTable.Label(r.Status),-15} {r.Row.Id}"));
        }

        return results.All(r => r.Acceptable) ? 0 : 1;
    }

    private static (string Verb, Dictionary<string, string> Options) Parse(string[] args)
    {
        if (args.Length == 0)
        {
            throw new ArgumentException("usage: reliability-report filter|record-slow|write --name value ...");
        }

        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"expected an option, got '{args[i]}'");
            }

            var name = args[i][2..];
            var flag = i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal);
            options[name] = flag ? "true" : args[++i];
        }

        return (args[0], options);
    }
}
