using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.Querying;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.Retention;

/// <summary>
/// The live tiers as InfluxDB holds them (SHOW RETENTION POLICIES, the rollup settings of <see cref="RollupLedger"/>,
/// and any continuous query left from before the refresher), cached for
/// <see cref="RetentionTiersOptions.CatalogRefresh"/> so that tier choice costs no round trip per query. InfluxDB
/// is the one truth: a PUT on any node reaches the others when their copy expires.
/// </summary>
public sealed class RetentionCatalog(InfluxClient influx, IOptions<RetentionTiersOptions> options, TimeProvider timeProvider)
{
    private volatile Cached? _cached;

    public string Database => influx.Options.Database;

    /// <summary>The live settings; what InfluxDB lacks is taken from configuration.</summary>
    public async ValueTask<RetentionSettings> CurrentAsync(CancellationToken cancellationToken)
    {
        Cached? cached = _cached;
        DateTimeOffset now = timeProvider.GetUtcNow();
        if (cached is not null && now - cached.ReadAt < options.Value.CatalogRefresh)
        {
            return cached.Settings;
        }

        ObservedRetention observed = await ObserveAsync(cancellationToken).ConfigureAwait(false);
        RetentionSettings settings = observed.Overlay(options.Value.ToSettings());
        _cached = new Cached(settings, now);
        return settings;
    }

    /// <summary>Replaces the cached copy after this node changed the tiers.</summary>
    public void Publish(RetentionSettings settings) => _cached = new Cached(settings, timeProvider.GetUtcNow());

    /// <summary>Reads the policies, the stored rollup settings and any old rollup continuous queries; a missing database reads as empty.</summary>
    public async Task<ObservedRetention> ObserveAsync(CancellationToken cancellationToken)
    {
        var policies = new Dictionary<string, ObservedPolicy>(StringComparer.Ordinal);
        try
        {
            InfluxQueryResult result = await influx.QueryAsync($"SHOW RETENTION POLICIES ON {InfluxQl.QuoteIdentifier(Database)}", Database, cancellationToken).ConfigureAwait(false);
            foreach (InfluxSeries series in result.Statements[0].Series)
            {
                for (int row = 0; row < series.Values.Count; row++)
                {
                    string name = series.GetString(row, "name") ?? string.Empty;
                    InfluxDuration.TryParse(series.GetString(row, "duration"), out TimeSpan duration);
                    InfluxDuration.TryParse(series.GetString(row, "shardGroupDuration"), out TimeSpan shard);
                    policies[name] = new ObservedPolicy(name, duration, shard, series.GetBoolean(row, "default"));
                }
            }
        }
        catch (InfluxQueryException ex) when (ex.Kind == InfluxErrorKind.StatementFailed && ex.Message.Contains("database not found", StringComparison.OrdinalIgnoreCase))
        {
            return new ObservedRetention(DatabaseExists: false, policies, new Dictionary<StorageTier, RollupSettings>(), new Dictionary<StorageTier, ObservedContinuousQuery>());
        }

        // The settings point lives in the h1 policy: asking a policy that does not exist is an error.
        IReadOnlyDictionary<StorageTier, RollupSettings> rollups = new Dictionary<StorageTier, RollupSettings>();
        if (policies.ContainsKey(RetentionPolicyNames.H1))
        {
            InfluxQueryResult stored = await influx.QueryAsync(new RollupLedger(influx).SettingsStatement(), Database, cancellationToken).ConfigureAwait(false);
            rollups = RollupLedger.ReadSettings(stored.Statements[0]);
        }

        var queries = new Dictionary<StorageTier, ObservedContinuousQuery>();
        InfluxQueryResult shown = await influx.QueryAsync("SHOW CONTINUOUS QUERIES", Database, cancellationToken).ConfigureAwait(false);
        foreach (InfluxSeries series in shown.Statements[0].Series.Where(s => s.Name == Database))
        {
            for (int row = 0; row < series.Values.Count; row++)
            {
                string name = series.GetString(row, "name") ?? string.Empty;
                string query = series.GetString(row, "query") ?? string.Empty;
                foreach (StorageTier tier in StorageTiers.Rollups)
                {
                    if (name == RetentionStatements.ContinuousQueryName(tier) && RetentionStatements.TryReadResample(query, out TimeSpan every, out TimeSpan lookBack))
                    {
                        queries[tier] = new ObservedContinuousQuery(every, lookBack, query);
                    }
                }
            }
        }

        return new ObservedRetention(DatabaseExists: true, policies, rollups, queries);
    }

    private sealed record Cached(RetentionSettings Settings, DateTimeOffset ReadAt);
}

/// <summary>What InfluxDB holds now.</summary>
/// <param name="Rollups">The refresh settings stored per rollup tier (<see cref="RollupLedger"/>; duration unset: it is the policy's).</param>
/// <param name="LegacyContinuousQueries">Rollup continuous queries from before the refresher: dropped by the next apply, their settings kept.</param>
public sealed record ObservedRetention(
    bool DatabaseExists,
    IReadOnlyDictionary<string, ObservedPolicy> Policies,
    IReadOnlyDictionary<StorageTier, RollupSettings> Rollups,
    IReadOnlyDictionary<StorageTier, ObservedContinuousQuery> LegacyContinuousQueries)
{
    /// <summary>The observed values where they exist, <paramref name="fallback"/> for what is missing.</summary>
    public RetentionSettings Overlay(RetentionSettings fallback) => fallback with
    {
        Raw = Policies.TryGetValue(RetentionPolicyNames.Raw, out ObservedPolicy? raw) ? raw.Duration : fallback.Raw,
        Meta = Policies.TryGetValue(RetentionPolicyNames.Meta, out ObservedPolicy? meta) ? meta.Duration : fallback.Meta,
        M1 = OverlayRollup(StorageTier.M1, fallback.M1),
        H1 = OverlayRollup(StorageTier.H1, fallback.H1),
    };

    private RollupSettings OverlayRollup(StorageTier tier, RollupSettings fallback)
    {
        RollupSettings result = fallback;
        if (Policies.TryGetValue(tier.Name(), out ObservedPolicy? policy))
        {
            result = result with { Duration = policy.Duration };
        }

        if (Rollups.TryGetValue(tier, out RollupSettings? stored))
        {
            result = result with { LookBack = stored.LookBack, RefreshEvery = stored.RefreshEvery };
        }
        else if (LegacyContinuousQueries.TryGetValue(tier, out ObservedContinuousQuery? query))
        {
            result = result with { LookBack = query.LookBack, RefreshEvery = query.Every };
        }

        return result;
    }
}

public sealed record ObservedPolicy(string Name, TimeSpan Duration, TimeSpan ShardDuration, bool IsDefault);

public sealed record ObservedContinuousQuery(TimeSpan Every, TimeSpan LookBack, string Query);
