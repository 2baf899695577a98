namespace Datacake.Streams.ReliabilityReport;

/// <summary>How one test ended in a trx file: its name as the runner reported it (theory cases carry their arguments).</summary>
public sealed record TestOutcome(string Name, string Outcome, TimeSpan Duration)
{
    public bool Passed => Outcome == "Passed";

    /// <summary>Whether this result is a run of <paramref name="test"/> (a method's fully qualified name): itself or one of its theory cases.</summary>
    public bool IsRunOf(string test) => Name == test || Name.StartsWith(test + "(", StringComparison.Ordinal);
}
