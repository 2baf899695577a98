using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.Retention;

/// <summary>
/// Retention tiers at start-up (section "Retention"), e.g. <c>Retention__M1__LookBack=02:00:00</c>. The database
/// is <c>Influx:Database</c>. What an operator changes through <c>PUT /v1/ops/retention</c> lives in InfluxDB
/// itself and survives restarts: start-up only creates what is missing, unless <see cref="ConfigurationWins"/>.
/// </summary>
public sealed record RetentionTiersOptions
{
    public const string Section = "Retention";

    private static readonly RetentionSettings s_defaults = new();

    public TimeSpan Raw { get; init; } = s_defaults.Raw;

    // Fresh instances per options object: the binder writes nested settings into the instance it finds, and a
    // shared default would carry one host's configuration into every other.
    public RollupSettings M1 { get; init; } = RetentionSettings.DefaultM1();

    public RollupSettings H1 { get; init; } = RetentionSettings.DefaultH1();

    public TimeSpan Meta { get; init; } = s_defaults.Meta;

    /// <summary>Create the database, policies and continuous queries when the node starts.</summary>
    public bool ProvisionOnStart { get; init; } = true;

    /// <summary>Alter existing policies and continuous queries to this configuration at start-up (else only create missing ones).</summary>
    public bool ConfigurationWins { get; init; }

    /// <summary>
    /// How long the query side trusts its copy of the live tiers before reading them again from InfluxDB: another
    /// node's PUT reaches this one within this time. 60 s: two SHOW statements a minute cost nothing.
    /// </summary>
    public TimeSpan CatalogRefresh { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Width of one backfill <c>SELECT … INTO</c>: one day keeps each statement small (1,440 m1 buckets per series).</summary>
    public TimeSpan BackfillChunk { get; init; } = TimeSpan.FromDays(1);

    public RetentionSettings ToSettings() => new() { Raw = Raw, M1 = M1, H1 = H1, Meta = Meta };
}

public sealed class RetentionTiersOptionsValidator : IValidateOptions<RetentionTiersOptions>
{
    public ValidateOptionsResult Validate(string? name, RetentionTiersOptions options)
    {
        var failures = options.ToSettings().Validate()
            .SelectMany(e => e.Value.Select(message => $"{RetentionTiersOptions.Section}:{e.Key}: {message}"))
            .ToList();
        if (options.CatalogRefresh <= TimeSpan.Zero)
        {
            failures.Add($"{RetentionTiersOptions.Section}:CatalogRefresh: must be positive");
        }

        if (options.BackfillChunk < TimeSpan.FromHours(1) || options.BackfillChunk.Ticks % TimeSpan.TicksPerHour != 0)
        {
            failures.Add($"{RetentionTiersOptions.Section}:BackfillChunk: must be whole hours, at least 1h (chunks align to h1 buckets)");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
