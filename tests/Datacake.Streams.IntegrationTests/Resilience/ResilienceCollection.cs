namespace Datacake.Streams.IntegrationTests.Resilience;

/// <summary>
/// The resilience acceptance tests run one after the other: each drives several processes of the real executable
/// for a minute or two, and two of them at once on a 2-core machine would measure each other's load.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ResilienceCollection
{
    public const string Name = "resilience";
}
