using Datacake.Streams.Influx.Querying;

namespace Datacake.Streams.Api.Retention;

/// <summary>How long each tier keeps its points and how its rollup is kept current: one consistent snapshot.</summary>
public sealed record RetentionSettings
{
    /// <summary>Raw measurements (the database's DEFAULT policy).</summary>
    public TimeSpan Raw { get; init; } = TimeSpan.FromDays(30);

    /// <summary>1-minute rollups of raw.</summary>
    public RollupSettings M1 { get; init; } = DefaultM1();

    /// <summary>
    /// 1-hour rollups, computed from RAW (not from m1): mean, min, max and count are then exact without weighting,
    /// at the price that a backfill can reach back only as far as raw still holds points (30 d by default).
    /// </summary>
    public RollupSettings H1 { get; init; } = DefaultH1();

    /// <summary>Network metadata (P1): shorter, it is diagnostics, not the customer's data.</summary>
    public TimeSpan Meta { get; init; } = TimeSpan.FromDays(14);

    /// <summary>A fresh instance each call: configuration binding writes into the instance it finds.</summary>
    public static RollupSettings DefaultM1() => new()
    {
        Duration = TimeSpan.FromDays(365),
        LookBack = TimeSpan.FromHours(2),
        RefreshEvery = TimeSpan.FromMinutes(1),
    };

    /// <summary>10-minute refresh: each run recomputes the whole 1-day look-back from raw, so not every minute.</summary>
    public static RollupSettings DefaultH1() => new()
    {
        Duration = TimeSpan.FromDays(5 * 365),
        LookBack = TimeSpan.FromDays(1),
        RefreshEvery = TimeSpan.FromMinutes(10),
    };

    public TimeSpan Duration(StorageTier tier) => tier switch
    {
        StorageTier.Raw => Raw,
        StorageTier.M1 => M1.Duration,
        StorageTier.H1 => H1.Duration,
        _ => throw new ArgumentOutOfRangeException(nameof(tier), tier, null),
    };

    public RollupSettings Rollup(StorageTier tier) => tier switch
    {
        StorageTier.M1 => M1,
        StorageTier.H1 => H1,
        _ => throw new ArgumentOutOfRangeException(nameof(tier), tier, "raw is not a rollup"),
    };

    /// <summary>Every rule the settings break, keyed by setting path ("m1.duration"); empty when valid.</summary>
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Add(string key, string message)
        {
            if (!errors.TryGetValue(key, out List<string>? list))
            {
                errors[key] = list = [];
            }

            list.Add(message);
        }

        // InfluxDB refuses retention policies shorter than 1 h (except 0 = infinite, which we do not offer).
        CheckDuration("raw.duration", Raw, Add);
        CheckDuration("meta.duration", Meta, Add);
        foreach (StorageTier tier in StorageTiers.Rollups)
        {
            string name = tier.Name();
            RollupSettings rollup = Rollup(tier);
            CheckDuration(name + ".duration", rollup.Duration, Add);

            // InfluxDB: "FOR duration must be >= GROUP BY time duration".
            if (rollup.LookBack < tier.Resolution() || rollup.LookBack >= rollup.Duration)
            {
                Add(name + ".lookBack", $"must be at least {InfluxDuration.Format(tier.Resolution())} (one rollup interval) and shorter than the tier's duration ({InfluxDuration.Format(rollup.Duration)})");
            }

            if (rollup.RefreshEvery < TimeSpan.FromSeconds(1) || rollup.RefreshEvery > rollup.LookBack || !IsWholeSeconds(rollup.RefreshEvery))
            {
                Add(name + ".refreshEvery", "must be whole seconds, at least 1s and at most the look-back (a refresh less often than the look-back would skip data)");
            }

            if (!IsWholeSeconds(rollup.LookBack))
            {
                Add(name + ".lookBack", "must be whole seconds");
            }

            // Both rollups read raw: recomputing a window raw no longer holds would overwrite rollups with nothing.
            if (rollup.LookBack > Raw)
            {
                Add(name + ".lookBack", $"must not exceed raw.duration ({InfluxDuration.Format(Raw)}): rollups are computed from raw points");
            }
        }

        if (M1.Duration < Raw)
        {
            Add("m1.duration", $"a rollup tier may not be shorter-lived than the tier below it: m1 ({InfluxDuration.Format(M1.Duration)}) < raw ({InfluxDuration.Format(Raw)})");
        }

        if (H1.Duration < M1.Duration)
        {
            Add("h1.duration", $"a rollup tier may not be shorter-lived than the tier below it: h1 ({InfluxDuration.Format(H1.Duration)}) < m1 ({InfluxDuration.Format(M1.Duration)})");
        }

        return errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);
    }

    private static void CheckDuration(string key, TimeSpan duration, Action<string, string> add)
    {
        if (duration < TimeSpan.FromHours(1) || duration > TimeSpan.FromDays(100 * 365) || !IsWholeSeconds(duration))
        {
            add(key, "must be whole seconds between 1h (InfluxDB's minimum) and 100 years");
        }
    }

    private static bool IsWholeSeconds(TimeSpan duration) => duration.Ticks % TimeSpan.TicksPerSecond == 0;
}

/// <summary>A rollup tier: retention, how far back late points are still folded in, and how often that runs.</summary>
public sealed record RollupSettings
{
    public TimeSpan Duration { get; init; }

    /// <summary>The continuous query's <c>RESAMPLE FOR</c>: a point arriving this late still changes its rollup.</summary>
    public TimeSpan LookBack { get; init; }

    /// <summary>The continuous query's <c>RESAMPLE EVERY</c>: how stale the newest rollup may be.</summary>
    public TimeSpan RefreshEvery { get; init; }
}
