using System.Text;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.LineProtocol;
using Datacake.Streams.Influx.Querying;
using Datacake.Streams.Storage;

namespace Datacake.Streams.Api.Retention;

/// <summary>
/// A device's late points (its <see cref="RollupMarks"/> marks, read as one span): their rollup windows are stale
/// until recomputed.
/// </summary>
/// <param name="From">The earliest late point's time.</param>
/// <param name="To">The latest late point's time, inclusive.</param>
public sealed record LateMark(string Device, DateTimeOffset From, DateTimeOffset To);

/// <summary>What the rollups hold right now: per tier the watermark (every window before it is rolled up), and the marks.</summary>
/// <param name="Watermarks">A tier without one holds nothing it can vouch for (a fresh tier, or one not refreshed for longer than meta's retention).</param>
public sealed record RollupFreshness(IReadOnlyDictionary<StorageTier, DateTimeOffset> Watermarks, IReadOnlyList<LateMark> Marks)
{
    /// <summary>Nothing is rolled up: every window inside raw's retention comes from raw.</summary>
    public static readonly RollupFreshness None = new(new Dictionary<StorageTier, DateTimeOffset>(), []);
}

/// <summary>
/// The rollups' shared state in InfluxDB, so that every api node agrees: the per-tier watermark (a point of
/// <see cref="RollupMarks.WatermarkMeasurement"/> in the meta policy, written at the start of the UTC day of writing
/// with the watermark as field <c>until</c>: <c>max()</c> over the days is the furthest any node got, and within a day
/// the last write wins; a watermark not moved for longer than meta's retention, less up to a day, is gone, and the
/// refresher starts again from what raw holds), how far each tier has applied the marks
/// (<see cref="RollupMarks.ConsumedMeasurement"/>, the same shape), the refresh settings
/// (<see cref="SettingsMeasurement"/>, in the h1 policy, written on each apply), and the late-window marks processing
/// writes.
/// </summary>
public sealed class RollupLedger(InfluxClient influx)
{
    /// <summary>The rollup settings the continuous queries used to hold (RESAMPLE EVERY … FOR …), per tier.</summary>
    public const string SettingsMeasurement = "dcs_rollup_settings";

    private const string RefreshEveryField = "refresh_every_s";
    private const string LookBackField = "look_back_s";
    private const string TierTag = "tier";
    private const string UntilField = "until";

    private string Database => influx.Options.Database;

    /// <summary>Statement: every tier's watermark (one series per tier).</summary>
    public string WatermarksStatement() => PerTierStatement(RollupMarks.WatermarkMeasurement);

    private string PerTierStatement(string measurement) =>
        $"SELECT max({InfluxQl.QuoteIdentifier(UntilField)}) AS {InfluxQl.QuoteIdentifier(UntilField)} FROM {Source(RetentionPolicyNames.Meta, measurement)} GROUP BY {InfluxQl.QuoteIdentifier(TierTag)}";

    /// <summary>
    /// Statement: the marks of the devices <paramref name="deviceFilter"/> selects (all when null) written after
    /// <paramref name="after"/> and at or before <paramref name="until"/>, one span per device and day of its late
    /// points (earliest <c>from</c>, latest <c>to</c>; <see cref="RollupMarks.DayTag"/>).
    /// </summary>
    /// <param name="deviceFilter">An InfluxQL condition on the <c>device</c> tag, built by the query side's one device filter.</param>
    /// <remarks>
    /// Folded by influxd, not read mark by mark: processing writes a mark per late device per write, ~430 a second
    /// in the soak's mix (every HTTP point hours late), 26k a minute. Read one by one they cost every query and every
    /// refresh a parse of all of them (a 4 MiB array of marks in a 30-minute soak's heap, the refresher falling behind
    /// and its working set growing with the pile). A span per device and day recomputes, or reads from raw, the
    /// windows between a device's late points of that day too: never wrong (raw is exact), and a mark lives only until
    /// every tier took it. Per day, not per device: two points a month apart would otherwise span the month.
    /// </remarks>
    public string MarksStatement(string? deviceFilter, DateTimeOffset? after, DateTimeOffset? until)
    {
        var where = new List<string>(3);
        if (deviceFilter is not null)
        {
            where.Add(deviceFilter);
        }

        if (after is { } start)
        {
            where.Add("time > " + InfluxDuration.Timestamp(start));
        }

        if (until is { } end)
        {
            where.Add("time <= " + InfluxDuration.Timestamp(end));
        }

        string from = InfluxQl.QuoteIdentifier(RollupMarks.FromField);
        string to = InfluxQl.QuoteIdentifier(RollupMarks.ToField);
        return $"SELECT min({from}) AS {from}, max({to}) AS {to} FROM {Source(RetentionPolicyNames.Raw, RollupMarks.Measurement)}"
            + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : string.Empty)
            + $" GROUP BY {InfluxQl.QuoteIdentifier(StorageLayout.DeviceTag)}, {InfluxQl.QuoteIdentifier(RollupMarks.DayTag)}";
    }

    /// <summary>The watermarks and the marks of the devices <paramref name="deviceFilter"/> selects, in one request.</summary>
    public async Task<RollupFreshness> FreshnessAsync(string deviceFilter, CancellationToken cancellationToken)
    {
        InfluxQueryResult result = await influx.QueryAsync(FreshnessStatements(deviceFilter), Database, cancellationToken).ConfigureAwait(false);
        return ReadFreshness(result.Statements);
    }

    /// <summary>The <see cref="FreshnessStatementCount"/> statements of <see cref="FreshnessAsync"/>, to lead a request of one's own.</summary>
    public string FreshnessStatements(string deviceFilter) => WatermarksStatement() + ";\n" + MarksStatement(deviceFilter, after: null, until: null);

    public const int FreshnessStatementCount = 2;

    /// <summary>The answer to <see cref="FreshnessStatements"/>: the first <see cref="FreshnessStatementCount"/> results.</summary>
    public static RollupFreshness ReadFreshness(IReadOnlyList<InfluxStatementResult> statements) =>
        new(ReadWatermarks(statements[0]), ReadMarks(statements[1]));

    public async Task<IReadOnlyDictionary<StorageTier, DateTimeOffset>> WatermarksAsync(CancellationToken cancellationToken)
    {
        InfluxQueryResult result = await influx.QueryAsync(WatermarksStatement(), Database, cancellationToken).ConfigureAwait(false);
        return ReadWatermarks(result.Statements[0]);
    }

    /// <summary>Every device's marks written after <paramref name="after"/> (from the first when null) and at or before <paramref name="until"/>.</summary>
    public async Task<IReadOnlyList<LateMark>> MarksAsync(DateTimeOffset? after, DateTimeOffset until, CancellationToken cancellationToken)
    {
        InfluxQueryResult result = await influx.QueryAsync(MarksStatement(null, after, until), Database, cancellationToken).ConfigureAwait(false);
        return ReadMarks(result.Statements[0]);
    }

    /// <summary>
    /// Per tier, the time up to which the marks have been applied to it (<see cref="WriteConsumedAsync"/>): marks
    /// written at or before it need no recompute of that tier. A tier without one has applied none.
    /// </summary>
    public async Task<IReadOnlyDictionary<StorageTier, DateTimeOffset>> ConsumedAsync(CancellationToken cancellationToken)
    {
        InfluxQueryResult result = await influx.QueryAsync(PerTierStatement(RollupMarks.ConsumedMeasurement), Database, cancellationToken).ConfigureAwait(false);
        return ReadWatermarks(result.Statements[0]);
    }

    /// <summary>Drops a tier's consumed record (the clock was set back past it): its next read of the marks starts from the first.</summary>
    public Task ForgetConsumedAsync(StorageTier tier, CancellationToken cancellationToken) => ForgetPerTierAsync(RollupMarks.ConsumedMeasurement, tier, cancellationToken);

    /// <summary>Records that every mark written at or before <paramref name="until"/> has been applied to <paramref name="tier"/>.</summary>
    public Task WriteConsumedAsync(StorageTier tier, DateTimeOffset until, DateTimeOffset now, CancellationToken cancellationToken) =>
        WritePerTierAsync(RollupMarks.ConsumedMeasurement, tier, until, now, cancellationToken);

    /// <summary>Forgets the marks written at or before <paramref name="until"/> (their windows have been recomputed).</summary>
    public Task DeleteMarksAsync(DateTimeOffset until, CancellationToken cancellationToken) =>
        influx.ExecuteAsync($"DELETE FROM {InfluxQl.QuoteIdentifier(RollupMarks.Measurement)} WHERE time <= {InfluxDuration.Timestamp(until)}", Database, cancellationToken);

    /// <summary>Records that every window of <paramref name="tier"/> before <paramref name="watermark"/> is rolled up.</summary>
    public Task WriteWatermarkAsync(StorageTier tier, DateTimeOffset watermark, DateTimeOffset now, CancellationToken cancellationToken) =>
        WritePerTierAsync(RollupMarks.WatermarkMeasurement, tier, watermark, now, cancellationToken);

    private async Task WritePerTierAsync(string measurement, StorageTier tier, DateTimeOffset until, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var batch = new InfluxPointBatch(128);
        LineProtocolWriter line = batch.BeginPoint();
        line.Measurement(measurement);
        line.Tag(TierTag, tier.Name());
        line.Field(UntilField, UnixNs(until));

        // One point per tier and UTC day, each write of the day over the last: at the time of writing, m1 left a point
        // a minute, and every windowed query and refresh read max() over meta's 14 days of them (20k points: 4.2 ms of
        // influxd against 0.9 for its /ping, where the whole panel query costs it ~3.4). Two nodes writing the same
        // day may move the watermark back (the slower one's last): the windows above it are then read from raw and
        // rolled again, both exact.
        line.Timestamp(UnixNs(RollupWindows.Floor(now, TimeSpan.FromDays(1))));
        await influx.WriteAsync(batch.Written, RetentionPolicyNames.Meta, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Drops a tier's watermark: the refresher starts over from what raw holds.</summary>
    public Task ForgetWatermarkAsync(StorageTier tier, CancellationToken cancellationToken) => ForgetPerTierAsync(RollupMarks.WatermarkMeasurement, tier, cancellationToken);

    private Task ForgetPerTierAsync(string measurement, StorageTier tier, CancellationToken cancellationToken) =>
        influx.ExecuteAsync($"DELETE FROM {InfluxQl.QuoteIdentifier(measurement)} WHERE {InfluxQl.QuoteIdentifier(TierTag)} = {InfluxQl.QuoteString(tier.Name())}", Database, cancellationToken);

    /// <summary>Statement: the stored rollup settings per tier.</summary>
    public string SettingsStatement() =>
        $"SELECT last({InfluxQl.QuoteIdentifier(RefreshEveryField)}) AS {InfluxQl.QuoteIdentifier(RefreshEveryField)}, last({InfluxQl.QuoteIdentifier(LookBackField)}) AS {InfluxQl.QuoteIdentifier(LookBackField)} "
        + $"FROM {Source(RetentionPolicyNames.H1, SettingsMeasurement)} GROUP BY {InfluxQl.QuoteIdentifier(TierTag)}";

    /// <summary>Reads <see cref="SettingsStatement"/>'s answer.</summary>
    public static Dictionary<StorageTier, RollupSettings> ReadSettings(InfluxStatementResult statement)
    {
        var settings = new Dictionary<StorageTier, RollupSettings>();
        foreach (InfluxSeries series in statement.Series)
        {
            if (series.Values.Count > 0 && series.Tags.TryGetValue(TierTag, out string? name) && TryTier(name, out StorageTier tier)
                && !series.IsNull(0, RefreshEveryField) && !series.IsNull(0, LookBackField))
            {
                settings[tier] = new RollupSettings
                {
                    RefreshEvery = TimeSpan.FromSeconds(series.GetInt64(0, RefreshEveryField)),
                    LookBack = TimeSpan.FromSeconds(series.GetInt64(0, LookBackField)),
                };
            }
        }

        return settings;
    }

    /// <summary>Stores a tier's refresh settings (the policy's duration lives in the policy itself).</summary>
    public async Task WriteSettingsAsync(StorageTier tier, RollupSettings settings, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var batch = new InfluxPointBatch(128);
        LineProtocolWriter line = batch.BeginPoint();
        line.Measurement(SettingsMeasurement);
        line.Tag(TierTag, tier.Name());
        line.Field(RefreshEveryField, (long)settings.RefreshEvery.TotalSeconds);
        line.Field(LookBackField, (long)settings.LookBack.TotalSeconds);
        line.Timestamp(UnixNs(now));
        await influx.WriteAsync(batch.Written, RetentionPolicyNames.H1, cancellationToken).ConfigureAwait(false);
    }

    private static IReadOnlyDictionary<StorageTier, DateTimeOffset> ReadWatermarks(InfluxStatementResult statement)
    {
        var watermarks = new Dictionary<StorageTier, DateTimeOffset>();
        foreach (InfluxSeries series in statement.Series)
        {
            if (series.Values.Count > 0 && series.Tags.TryGetValue(TierTag, out string? name) && TryTier(name, out StorageTier tier))
            {
                watermarks[tier] = FromUnixNs(series.GetInt64(0, UntilField));
            }
        }

        return watermarks;
    }

    private static List<LateMark> ReadMarks(InfluxStatementResult statement)
    {
        var marks = new List<LateMark>();
        foreach (InfluxSeries series in statement.Series)
        {
            if (!series.Tags.TryGetValue(StorageLayout.DeviceTag, out string? device))
            {
                continue;
            }

            for (int row = 0; row < series.Values.Count; row++)
            {
                if (!series.IsNull(row, RollupMarks.FromField) && !series.IsNull(row, RollupMarks.ToField))
                {
                    marks.Add(new LateMark(device, FromUnixNs(series.GetInt64(row, RollupMarks.FromField)), FromUnixNs(series.GetInt64(row, RollupMarks.ToField))));
                }
            }
        }

        return marks;
    }

    private static bool TryTier(string name, out StorageTier tier)
    {
        tier = name switch
        {
            RetentionPolicyNames.M1 => StorageTier.M1,
            RetentionPolicyNames.H1 => StorageTier.H1,
            _ => StorageTier.Raw,
        };
        return tier != StorageTier.Raw;
    }

    private string Source(string policy, string measurement) =>
        new StringBuilder().Append(InfluxQl.QuoteIdentifier(Database)).Append('.').Append(InfluxQl.QuoteIdentifier(policy)).Append('.').Append(InfluxQl.QuoteIdentifier(measurement)).ToString();

    private static DateTimeOffset FromUnixNs(long ns) => DateTimeOffset.UnixEpoch.AddTicks(ns / 100);

    private static long UnixNs(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
}
