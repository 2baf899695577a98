using System.Globalization;
using System.Text.RegularExpressions;
using Datacake.Streams.Influx.Querying;
using Datacake.Streams.Storage;

namespace Datacake.Streams.Api.Retention;

/// <summary>The InfluxQL that creates, alters and fills the tiers. Every name goes through <see cref="InfluxQl"/>.</summary>
public static partial class RetentionStatements
{
    /// <summary>Names of the continuous queries that kept the rollups before the refresher (dropped at start-up).</summary>
    public static string ContinuousQueryName(StorageTier tier) => "dcs_rollup_" + tier.Name();

    public static string CreateDatabase(string database) => $"CREATE DATABASE {InfluxQl.QuoteIdentifier(database)}";

    /// <summary>
    /// Shard group width after InfluxData's guidance (policy &lt; 2 d → 1 h, ≤ 6 months → 1 d, else 7 d), with
    /// 30 d beyond 2 years so that 5 years of h1 are ~60 shard groups, not ~260.
    /// </summary>
    public static TimeSpan ShardDuration(TimeSpan duration) =>
        duration < TimeSpan.FromDays(2) ? TimeSpan.FromHours(1)
        : duration <= TimeSpan.FromDays(183) ? TimeSpan.FromDays(1)
        : duration <= TimeSpan.FromDays(2 * 365) ? TimeSpan.FromDays(7)
        : TimeSpan.FromDays(30);

    public static string CreatePolicy(string database, string policy, TimeSpan duration, bool isDefault) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"CREATE RETENTION POLICY {InfluxQl.QuoteIdentifier(policy)} ON {InfluxQl.QuoteIdentifier(database)} DURATION {InfluxDuration.Format(duration)} REPLICATION 1 SHARD DURATION {InfluxDuration.Format(ShardDuration(duration))}{(isDefault ? " DEFAULT" : string.Empty)}");

    public static string AlterPolicy(string database, string policy, TimeSpan duration, bool isDefault) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"ALTER RETENTION POLICY {InfluxQl.QuoteIdentifier(policy)} ON {InfluxQl.QuoteIdentifier(database)} DURATION {InfluxDuration.Format(duration)} SHARD DURATION {InfluxDuration.Format(ShardDuration(duration))}{(isDefault ? " DEFAULT" : string.Empty)}");

    public static string DropContinuousQuery(string database, StorageTier tier) =>
        $"DROP CONTINUOUS QUERY {InfluxQl.QuoteIdentifier(ContinuousQueryName(tier))} ON {InfluxQl.QuoteIdentifier(database)}";

    /// <summary>
    /// The rollup once over [from, to) of every device measurement into the same-named measurement of the tier
    /// (<c>INTO …:MEASUREMENT FROM …/^dev_/</c>, <see cref="StorageLayout"/>): a refresh or a backfill. Both ends
    /// must sit on the tier's interval (a partial bucket would overwrite a full one). <c>GROUP BY time(…), *</c> keeps
    /// <c>device</c> a tag in the target; InfluxDB names the outputs <c>mean_f</c>, <c>min_f</c>, <c>max_f</c>,
    /// <c>count_f</c> (checked on 1.6.7).
    /// </summary>
    public static string Backfill(string database, StorageTier tier, DateTimeOffset from, DateTimeOffset to) =>
        RollupSelect(database, tier, StorageLayout.AllDevicesPattern, from, to);

    /// <summary>The same rollup of one device's measurement over [from, to): the recompute of a late window.</summary>
    public static string Recompute(string database, StorageTier tier, string deviceId, DateTimeOffset from, DateTimeOffset to) =>
        RollupSelect(database, tier, InfluxQl.QuoteIdentifier(deviceId), from, to);

    /// <summary>Reads FOR and EVERY back out of a continuous query as SHOW CONTINUOUS QUERIES prints it.</summary>
    public static bool TryReadResample(string query, out TimeSpan every, out TimeSpan lookBack)
    {
        every = lookBack = TimeSpan.Zero;
        Match match = ResamplePattern().Match(query);
        return match.Success
            && InfluxDuration.TryParse(match.Groups["every"].ValueSpan, out every)
            && InfluxDuration.TryParse(match.Groups["for"].ValueSpan, out lookBack);
    }

    private static string RollupSelect(string database, StorageTier tier, string source, DateTimeOffset from, DateTimeOffset to)
    {
        string db = InfluxQl.QuoteIdentifier(database);
        return $"SELECT mean(*), min(*), max(*), count(*) INTO {db}.{InfluxQl.QuoteIdentifier(tier.Name())}.:MEASUREMENT "
            + $"FROM {db}.{InfluxQl.QuoteIdentifier(RetentionPolicyNames.Raw)}.{source} "
            + $"WHERE time >= {InfluxDuration.Timestamp(from)} AND time < {InfluxDuration.Timestamp(to)} "
            + $"GROUP BY time({InfluxDuration.Format(tier.Resolution())}), *";
    }

    [GeneratedRegex(@"RESAMPLE\s+EVERY\s+(?<every>[0-9a-zµ]+)\s+FOR\s+(?<for>[0-9a-zµ]+)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ResamplePattern();
}
