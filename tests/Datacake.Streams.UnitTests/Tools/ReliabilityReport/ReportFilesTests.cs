using Datacake.Streams.ReliabilityReport;

namespace Datacake.Streams.UnitTests.Tools.ReliabilityReport;

public sealed class ReportFilesTests
{
    [Fact]
    public void A_trx_file_gives_each_results_name_outcome_and_duration()
    {
        const string trx = """
            <?xml version="1.0" encoding="utf-8"?>
            <TestRun xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">
              <Results>
                <UnitTestResult testName="Ns.ATests.Works" outcome="Passed" duration="00:00:01.5000000" />
                <UnitTestResult testName="Ns.ATests.Case(n: 2)" outcome="Failed" duration="00:00:00.0100000" />
              </Results>
            </TestRun>
            """;

        var outcomes = TrxResults.Read(trx);

        Assert.Equal(2, outcomes.Count);
        Assert.Equal(new TestOutcome("Ns.ATests.Works", "Passed", TimeSpan.FromSeconds(1.5)), outcomes[0]);
        Assert.False(outcomes[1].Passed);
        Assert.True(outcomes[1].IsRunOf("Ns.ATests.Case"));
        Assert.False(outcomes[1].IsRunOf("Ns.ATests.Cas"));
    }

    [Fact]
    public void Numbers_lines_read_as_the_recorder_writes_them_and_a_broken_line_is_named()
    {
        const string lines = """
            {"row":"rebalance-storm","test":"Storm","at":"2026-12-07T01:57:32+00:00","numbers":{"sent":20900,"acknowledged":20900,"stored":20900,"lost":0,"duplicated":0,"note":"9 joins"}}

            {"row":"soak","test":"soak.sh","at":"2026-12-07T01:57:32+00:00","numbers":{"memoryMiB":180.25,"latencyMs":3.5}}
            """;

        var read = MeasuredLine.ReadAll(lines);

        Assert.Equal(2, read.Count);
        Assert.Equal("sent 20,900, acknowledged 20,900, stored 20,900, lost 0, duplicated 0, 9 joins", read[0].Numbers.Describe());
        Assert.Equal("latency 3.5 ms, memory 180.3 MiB", read[1].Numbers.Describe());
        Assert.Contains("line 2", Assert.Throws<FormatException>(() => MeasuredLine.ReadAll("{\"row\":\"a\",\"test\":\"t\",\"at\":\"2026-12-07T00:00:00Z\",\"numbers\":{}}\n{broken")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_filter_selects_the_rows_with_tests_by_trait()
    {
        var rows = new[]
        {
            new Scenario { Id = "a", Name = "A", Proves = "-", Tests = ["N.T.M"] },
            new Scenario { Id = "b", Name = "B", Proves = "-" },
            new Scenario { Id = "c", Name = "C", Proves = "-", Tests = ["N.T.O"] },
        };

        Assert.Equal("Reliability=a|Reliability=c", ScenarioCatalog.Filter(rows));
        Assert.Null(ScenarioCatalog.Filter([rows[1]]));
    }

    [Fact]
    public void The_table_has_a_line_per_row_with_its_verdict_numbers_last_run_and_tests()
    {
        var at = new DateTimeOffset(2026, 12, 7, 2, 0, 0, TimeSpan.Zero);
        var fast = new Scenario { Id = "a", Name = "Crash | kill", Proves = "Nothing lost.", Tests = ["Ns.Deep.CrashTests.Kill_it"], Missing = "one node" };
        var slow = new Scenario { Id = "s", Name = "Soak", Proves = "Flat.", Slow = "ops/bench/soak.sh --minutes 30" };
        var results = new[]
        {
            new RowResult(fast, RowStatus.PassInPart, [new MeasuredNumbers { Sent = 3, Lost = 0 }], [], null),
            new RowResult(slow, RowStatus.Pass, [], [], new SlowRun(at.AddDays(-1), true, slow.Slow)),
        };

        var table = ReliabilityTable.Render(results, at, "abc1234", slowRan: false);

        Assert.Contains("| 1 | Crash \\| kill | Nothing lost. **Not yet:** one node | sent 3, lost 0 | pass (in part) | `CrashTests.Kill_it` |", table, StringComparison.Ordinal);
        Assert.Contains("| 2 | Soak | Flat. |  | pass, last ran 2026-12-06 02:00 UTC | `ops/bench/soak.sh --minutes 30` |", table, StringComparison.Ordinal);
        Assert.Contains("commit `abc1234`", table, StringComparison.Ordinal);
    }
}
