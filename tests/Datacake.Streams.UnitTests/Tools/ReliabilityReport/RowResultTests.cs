using Datacake.Streams.ReliabilityReport;

namespace Datacake.Streams.UnitTests.Tools.ReliabilityReport;

public sealed class RowResultTests
{
    private const string Test = "Ns.SomeTests.It_holds";

    private static readonly DateTimeOffset s_at = new(2026, 12, 7, 2, 0, 0, TimeSpan.Zero);

    private static readonly Dictionary<string, SlowRun> s_noRuns = [];

    [Fact]
    public void A_row_whose_tests_all_passed_passes_and_carries_its_numbers()
    {
        var row = Row();
        var numbers = new[] { new MeasuredLine("r", "It_holds", s_at, new MeasuredNumbers { Sent = 5, Stored = 5 }), new MeasuredLine("other", "x", s_at, new MeasuredNumbers { Sent = 9 }) };

        var result = RowResult.Decide(row, [new TestOutcome(Test, "Passed", TimeSpan.FromSeconds(1))], numbers, s_noRuns);

        Assert.Equal(RowStatus.Pass, result.Status);
        Assert.Equal("sent 5, stored 5", Assert.Single(result.Numbers).Describe());
    }

    [Fact]
    public void A_row_that_states_what_is_missing_passes_in_part()
    {
        var result = RowResult.Decide(Row() with { Missing = "no second process" }, [new TestOutcome(Test, "Passed", TimeSpan.Zero)], [], s_noRuns);

        Assert.Equal(RowStatus.PassInPart, result.Status);
        Assert.True(result.Acceptable);
    }

    [Fact]
    public void One_failed_theory_case_fails_the_row_and_is_named()
    {
        var outcomes = new[] { new TestOutcome(Test + "(n: 1)", "Passed", TimeSpan.Zero), new TestOutcome(Test + "(n: 2)", "Failed", TimeSpan.Zero) };

        var result = RowResult.Decide(Row(), outcomes, [], s_noRuns);

        Assert.Equal(RowStatus.Fail, result.Status);
        Assert.Equal([Test + "(n: 2)"], result.Failed);
        Assert.False(result.Acceptable);
    }

    [Fact]
    public void A_named_test_missing_from_the_results_is_not_run_not_a_pass()
    {
        // A test renamed without the catalog, or one whose trait was dropped from the filter: never a silent pass.
        var result = RowResult.Decide(Row() with { Tests = [Test, "Ns.SomeTests.Renamed"] }, [new TestOutcome(Test, "Passed", TimeSpan.Zero), new TestOutcome("Ns.SomeTests.It_holds_too", "Passed", TimeSpan.Zero)], [], s_noRuns);

        Assert.Equal(RowStatus.NotRun, result.Status);
        Assert.Equal(["Ns.SomeTests.Renamed (not run)"], result.Failed);
        Assert.False(result.Acceptable);
    }

    [Fact]
    public void A_row_without_tests_is_not_proven()
    {
        var result = RowResult.Decide(Row() with { Tests = [], Missing = "no test" }, [], [], s_noRuns);

        Assert.Equal(RowStatus.NotProven, result.Status);
    }

    [Fact]
    public void A_slow_row_is_decided_by_its_last_recorded_run_not_by_this_runs_results()
    {
        var row = Row() with { Slow = "ops/bench/soak.sh --minutes 30" };
        var failedNow = new[] { new TestOutcome(Test, "Failed", TimeSpan.Zero) };

        Assert.Equal(RowStatus.NeverRun, RowResult.Decide(row, failedNow, [], s_noRuns).Status);

        var runs = new Dictionary<string, SlowRun> { ["r"] = new(s_at, true, row.Slow, new MeasuredNumbers { MemoryMiB = 212.5 }) };
        var result = RowResult.Decide(row, failedNow, [], runs);
        Assert.Equal(RowStatus.Pass, result.Status);
        Assert.Equal(s_at, result.LastRun!.RanAt);
        Assert.Equal("memory 212.5 MiB", Assert.Single(result.Numbers).Describe());

        runs["r"] = runs["r"] with { Passed = false };
        Assert.Equal(RowStatus.Fail, RowResult.Decide(row, [], [], runs).Status);
    }

    private static Scenario Row() => new() { Id = "r", Name = "A scenario", Proves = "It holds.", Tests = [Test] };
}
