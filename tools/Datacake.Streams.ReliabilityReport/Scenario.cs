namespace Datacake.Streams.ReliabilityReport;

/// <summary>
/// One row of docs/RELIABILITY.md: a fault or abuse scenario of issue 19, what passing it proves, and the tests that
/// fail if the behaviour breaks (fully qualified method names, each carrying <c>[Trait("Reliability", Id)]</c>).
/// </summary>
public sealed record Scenario
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    public required string Proves { get; init; }

    public IReadOnlyList<string> Tests { get; init; } = [];

    /// <summary>What the tests do not show yet; null when they prove the whole scenario.</summary>
    public string? Missing { get; init; }

    /// <summary>Run only with <c>--slow</c>: how the runner runs it (for the reader); null for a fast row.</summary>
    public string? Slow { get; init; }
}
