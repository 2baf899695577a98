using Microsoft.Extensions.Options;

namespace Datacake.Streams.Ingest.Http;

/// <summary><c>POST /v1/devices/{id}/measurements</c>, section "Ingest:Http" (<c>Ingest__Http__MaxBodyBytes=...</c> in the environment).</summary>
public sealed record HttpIngestOptions
{
    public const string Section = "Ingest:Http";

    /// <summary>Largest body accepted (413 beyond). 1 MiB holds ~10,000 typical 100-byte entries.</summary>
    public int MaxBodyBytes { get; init; } = 1024 * 1024;

    /// <summary>
    /// Largest line-protocol body of <c>/write</c> and <c>/api/v2/write</c> (413 beyond), after gzip is undone: 8 MiB
    /// holds ~50,000 Telegraf-sized lines (~150 bytes), ten times InfluxData's recommended 5,000-line batch.
    /// (InfluxDB's own limit is 25 MB; this node holds the body whole while it converts it.)
    /// </summary>
    public int LineProtocolMaxBodyBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>Most entries in one array body.</summary>
    public int MaxEntries { get; init; } = 10_000;

    /// <summary>Requests per second one token may make; 0 = no per-token limit (the default).</summary>
    public double TokenRequestsPerSecond { get; init; }

    /// <summary>Burst allowed above <see cref="TokenRequestsPerSecond"/>.</summary>
    public int TokenBurst { get; init; } = 50;

    /// <summary>Retry-After for 503 while the record log is unavailable.</summary>
    public int UnavailableRetryAfterSeconds { get; init; } = 2;
}

/// <summary>Refuses HTTP ingest settings that cannot work.</summary>
public sealed class HttpIngestOptionsValidator : IValidateOptions<HttpIngestOptions>
{
    public ValidateOptionsResult Validate(string? name, HttpIngestOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.MaxBodyBytes is < 64 or > 32 * 1024 * 1024)
        {
            failures.Add("Ingest:Http:MaxBodyBytes: 64 bytes to 32 MiB (the host's outer request limit)");
        }

        if (options.LineProtocolMaxBodyBytes is < 64 or > 32 * 1024 * 1024)
        {
            failures.Add("Ingest:Http:LineProtocolMaxBodyBytes: 64 bytes to 32 MiB (the host's outer request limit)");
        }

        if (options.MaxEntries < 1)
        {
            failures.Add("Ingest:Http:MaxEntries: at least 1");
        }

        if (options.TokenRequestsPerSecond < 0 || options.TokenBurst < 1)
        {
            failures.Add("Ingest:Http:TokenRequestsPerSecond: 0 (off) or positive; TokenBurst: at least 1");
        }

        if (options.UnavailableRetryAfterSeconds < 1)
        {
            failures.Add("Ingest:Http:UnavailableRetryAfterSeconds: at least 1");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
