namespace Datacake.Streams.Ingest.Bridge;

/// <summary>The bridges this ingest node runs: configuration section <c>Ingest</c>, key <c>Bridges</c> (a list).</summary>
public sealed record BridgeOptions
{
    public const string Section = "Ingest";

    public IReadOnlyList<BridgeDefinition> Bridges { get; init; } = [];
}
