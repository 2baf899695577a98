namespace Datacake.Streams.EdgeAuth;

/// <summary>
/// The failed-authentication budget, section "Access" (the keys the API's limiter had): one budget for HTTP ingest,
/// webhooks, MQTT, the API and /v1/ops, per client address and scope. Checked by <see cref="FailedAuthenticationOptionsValidator"/>.
/// </summary>
public sealed record FailedAuthenticationOptions
{
    public const string Section = "Access";

    /// <summary>
    /// Failures one (address, scope) may make at once before further failures get 429. 10 lets a misconfigured device
    /// retry a few times with backoff and still see its 401; a guesser is down to one try per refill after that.
    /// </summary>
    public int FailedAuthenticationBurst { get; init; } = 10;

    /// <summary>How long one allowance takes to come back (10 per minute at the default).</summary>
    public TimeSpan FailedAuthenticationRefill { get; init; } = TimeSpan.FromSeconds(6);

    /// <summary>
    /// (Address, scope) pairs tracked at once. ~200 bytes each: 100,000 is ~20 MB at worst. Past it, refilled entries are
    /// pruned; while every entry is still spending, new pairs are not tracked (their failures still get 401).
    /// </summary>
    public int FailedAuthenticationScopes { get; init; } = 100_000;
}
