namespace Datacake.Streams.ReliabilityReport;

/// <summary>How a row came out of this run.</summary>
public enum RowStatus
{
    /// <summary>Every test of the row ran and passed, and they prove the whole scenario.</summary>
    Pass,

    /// <summary>Every test ran and passed, but the row states what they do not show yet.</summary>
    PassInPart,

    /// <summary>A test of the row failed (or a slow row's last run failed).</summary>
    Fail,

    /// <summary>A test the row names did not run (renamed, filtered out, or the run broke off).</summary>
    NotRun,

    /// <summary>No test proves the scenario yet.</summary>
    NotProven,

    /// <summary>A slow row that was never run.</summary>
    NeverRun,
}

/// <summary>A row's verdict with the numbers its tests counted and, for a slow row, its last run.</summary>
public sealed record RowResult(Scenario Row, RowStatus Status, IReadOnlyList<MeasuredNumbers> Numbers, IReadOnlyList<string> Failed, SlowRun? LastRun)
{
    /// <summary>Decides a fast row from this run's trx outcomes and numbers, a slow row from its last recorded run.</summary>
    public static RowResult Decide(Scenario row, IReadOnlyList<TestOutcome> outcomes, IReadOnlyList<MeasuredLine> numbers, IReadOnlyDictionary<string, SlowRun> slowRuns)
    {
        if (row.Slow is not null)
        {
            if (!slowRuns.TryGetValue(row.Id, out var run))
            {
                return new RowResult(row, RowStatus.NeverRun, [], [], null);
            }

            var status = !run.Passed ? RowStatus.Fail : row.Missing is null ? RowStatus.Pass : RowStatus.PassInPart;
            return new RowResult(row, status, run.Numbers is null ? [] : [run.Numbers], [], run);
        }

        if (row.Tests.Count == 0)
        {
            return new RowResult(row, RowStatus.NotProven, [], [], null);
        }

        var notRun = row.Tests.Where(t => !outcomes.Any(o => o.IsRunOf(t))).ToList();
        var failed = outcomes.Where(o => !o.Passed && row.Tests.Any(o.IsRunOf)).Select(o => o.Name).Distinct(StringComparer.Ordinal).ToList();
        var measured = numbers.Where(n => n.Row == row.Id).Select(n => n.Numbers).ToList();
        var verdict = failed.Count > 0 ? RowStatus.Fail
            : notRun.Count > 0 ? RowStatus.NotRun
            : row.Missing is null ? RowStatus.Pass
            : RowStatus.PassInPart;
        return new RowResult(row, verdict, measured, [.. failed, .. notRun.Select(t => t + " (not run)")], null);
    }

    /// <summary>Whether the row lets the runner exit 0: a pass, also in part; a row nobody proves yet is stated, not failed.</summary>
    public bool Acceptable => Status is RowStatus.Pass or RowStatus.PassInPart or RowStatus.NotProven or RowStatus.NeverRun;
}
