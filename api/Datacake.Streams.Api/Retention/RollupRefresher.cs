using Datacake.Streams.Influx.Client;
using Datacake.Streams.Storage;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.Retention;

/// <summary>What one refresh did: statements run, device spans of late marks recomputed (over the tiers), the watermarks after it.</summary>
public sealed record RollupRefresh(int Statements, int MarksConsumed, IReadOnlyDictionary<StorageTier, DateTimeOffset> Watermarks);

/// <summary>
/// Keeps the rollup tiers current in place of continuous queries (docs/QUERIES.md "Exact aggregates"): each tier,
/// every <see cref="RollupSettings.RefreshEvery"/>, rolls raw over [watermark, now − <see cref="RollupMarks.Settle"/>)
/// (aligned down to the tier's interval) with <c>SELECT … INTO</c>, oldest first in
/// <see cref="RetentionTiersOptions.BackfillChunk"/> steps, and moves its watermark after each step. Then the late
/// marks processing wrote are consumed, by each tier at its own refresh: each marked device's windows below the
/// tier's watermark are recomputed from its own raw measurement, the tier's consumed mark moves, and a mark is deleted
/// only once every tier is past it (a query meanwhile still reads those windows from raw).
/// </summary>
/// <remarks>
/// Marks are read and deleted up to <c>now − </c><see cref="RollupMarks.ConsumeAfter"/>: a mark that lands after the
/// read carries a later time (its write began at most <see cref="RollupMarks.WriteAllowance"/> before it landed), so
/// the delete never takes a mark that was not read. A tier takes the marks at its own refresh, not every minute: a late
/// stream (an import, the soak's HTTP path hours late) marks every device every minute, and an h1 recompute reads a
/// whole hour of the device's raw, so taking marks each minute re-read every marked hour each minute (10k points a
/// second, 10 s of point time each second: 1-2 hours of raw read per minute for 10 minutes' worth of new points, and
/// the refresh fell behind: marks 58k -> 138k in 3.5 minutes of an 8-minute soak). Every api node runs a refresher;
/// two at once only compute the same windows twice (the watermark is the furthest any node got). Runs only on api nodes.
/// </remarks>
public sealed partial class RollupRefresher(
    InfluxClient influx,
    RetentionCatalog catalog,
    RollupLedger ledger,
    RetentionService retention,
    IOptions<RetentionTiersOptions> options,
    RollupMetrics metrics,
    TimeProvider timeProvider,
    ILogger<RollupRefresher> logger) : BackgroundService
{
    // Recomputes per request: 50 one-device statements are ~10 KB of InfluxQL, one round trip.
    private const int StatementsPerRequest = 50;

    private readonly Dictionary<StorageTier, TierSchedule> _schedules = StorageTiers.Rollups.ToDictionary(t => t, _ => new TierSchedule(timeProvider.GetTimestamp()));
    private readonly SemaphoreSlim _deleteGate = new(1, 1);
    private DateTimeOffset? _deletedUntil;

    /// <summary>
    /// One refresh of every tier now: each whose <see cref="RollupSettings.RefreshEvery"/> has passed since its last
    /// run (all of them when <paramref name="force"/>) rolls forward and takes its marks. Serialized per tier with the
    /// scheduled ones.
    /// </summary>
    public async Task<RollupRefresh> RefreshAsync(bool force, CancellationToken cancellationToken)
    {
        int statements = 0;
        int consumed = 0;
        IReadOnlyDictionary<StorageTier, DateTimeOffset> watermarks = new Dictionary<StorageTier, DateTimeOffset>();
        foreach (StorageTier tier in StorageTiers.Rollups)
        {
            RollupRefresh refresh = await RefreshTierAsync(tier, force, cancellationToken).ConfigureAwait(false);
            statements += refresh.Statements;
            consumed += refresh.MarksConsumed;

            // Read by the last tier after the earlier ones finished: every tier's latest.
            watermarks = refresh.Watermarks;
        }

        return new RollupRefresh(statements, consumed, watermarks);
    }

    /// <summary>
    /// Each tier on a schedule of its own: an h1 recompute under a late stream reads hours of raw per device (27 s
    /// a statement in the soak), and with one schedule for both the m1 rollups and their marks waited for it.
    /// </summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // After provisioning (the policies exist) and the layout step (raw is in the per-device measurements).
        await retention.LayoutMigrated.WaitAsync(stoppingToken).ConfigureAwait(false);
        await Task.WhenAll(StorageTiers.Rollups.Select(tier => RunTierAsync(tier, stoppingToken))).ConfigureAwait(false);
    }

    private async Task RunTierAsync(StorageTier tier, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            // At least every minute: a clock step is noticed, and a shorter refreshEvery set meanwhile is taken.
            TimeSpan tick = TimeSpan.FromMinutes(1);
            try
            {
                RetentionSettings settings = await catalog.CurrentAsync(stoppingToken).ConfigureAwait(false);
                tick = settings.Rollup(tier).RefreshEvery < tick ? settings.Rollup(tier).RefreshEvery : tick;
                await RefreshTierAsync(tier, force: false, stoppingToken).ConfigureAwait(false);
            }
            catch (InfluxException ex)
            {
                // The windows stay above the watermark (queries read them from raw) and the marks stay: the next tick retries.
                LogRefreshFailed(logger, ex, tier.Name());
                metrics.Failed(tier);
            }

            await Task.Delay(tick, timeProvider, stoppingToken).ConfigureAwait(false);
        }
    }

    private async Task<RollupRefresh> RefreshTierAsync(StorageTier tier, bool force, CancellationToken cancellationToken)
    {
        TierSchedule schedule = _schedules[tier];
        await schedule.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            RetentionSettings settings = await catalog.CurrentAsync(cancellationToken).ConfigureAwait(false);
            DateTimeOffset now = timeProvider.GetUtcNow();
            long started = timeProvider.GetTimestamp();
            var watermarks = new Dictionary<StorageTier, DateTimeOffset>(await ledger.WatermarksAsync(cancellationToken).ConfigureAwait(false));
            await PullBackAfterClockStepAsync(tier, now, timeProvider.GetElapsedTime(schedule.PreviousRefresh), watermarks, cancellationToken).ConfigureAwait(false);
            schedule.PreviousRefresh = started;
            ShowWatermark(tier, watermarks);
            if (!force && schedule.LastRun is { } last && timeProvider.GetElapsedTime(last) < settings.Rollup(tier).RefreshEvery)
            {
                return new RollupRefresh(0, 0, watermarks);
            }

            int statements = await RollForwardAsync(tier, settings, now, watermarks, cancellationToken).ConfigureAwait(false);
            schedule.LastRun = started;
            ShowWatermark(tier, watermarks);
            (int consumed, int recomputes) = await ConsumeMarksAsync(tier, settings, now, watermarks, cancellationToken).ConfigureAwait(false);
            return new RollupRefresh(statements + recomputes, consumed, watermarks);
        }
        finally
        {
            schedule.Gate.Release();
        }
    }

    private void ShowWatermark(StorageTier tier, Dictionary<StorageTier, DateTimeOffset> watermarks)
    {
        if (watermarks.TryGetValue(tier, out DateTimeOffset watermark))
        {
            metrics.Watermark(tier, watermark);
        }
    }

    /// <summary>A tier's refresh state. Monotonic timestamps: a wall clock set back must neither stall the schedule nor hide how long ago it ran.</summary>
    private sealed class TierSchedule(long created)
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);

        public long? LastRun { get; set; }

        public long PreviousRefresh { get; set; } = created;
    }

    /// <summary>
    /// The wall clock was set back past the tier's watermark (its windows up to the watermark were rolled by the clock
    /// before the step): points received since the step are dated inside windows already rolled, without a mark (they
    /// are not late by the clock that judges them). The watermark goes back to where such points can begin: the
    /// earliest moment the step can have happened (the previous refresh, by the monotonic clock) less
    /// <see cref="RollupMarks.Settle"/>. Queries then read those windows from raw, and the refresh rolls them again.
    /// </summary>
    private async Task PullBackAfterClockStepAsync(StorageTier tier, DateTimeOffset now, TimeSpan sincePrevious, Dictionary<StorageTier, DateTimeOffset> watermarks, CancellationToken cancellationToken)
    {
        TimeSpan step = tier.Resolution();
        DateTimeOffset cut = RollupWindows.Floor(now - RollupMarks.Settle, step);
        if (!watermarks.TryGetValue(tier, out DateTimeOffset mark) || mark <= cut)
        {
            return;
        }

        DateTimeOffset back = RollupWindows.Floor(now - sincePrevious - RollupMarks.Settle, step);

        // The ledger keeps the furthest watermark any node wrote: the old one goes first.
        await ledger.ForgetWatermarkAsync(tier, cancellationToken).ConfigureAwait(false);
        await ledger.WriteWatermarkAsync(tier, back, now, cancellationToken).ConfigureAwait(false);
        watermarks[tier] = back;
        LogClockBehindWatermark(logger, tier.Name(), mark, back);
    }

    /// <summary>Rolls [watermark, cut) of <paramref name="tier"/>, moving the watermark after each chunk.</summary>
    private async Task<int> RollForwardAsync(StorageTier tier, RetentionSettings settings, DateTimeOffset now, Dictionary<StorageTier, DateTimeOffset> watermarks, CancellationToken cancellationToken)
    {
        TimeSpan step = tier.Resolution();
        DateTimeOffset cut = RollupWindows.Floor(now - RollupMarks.Settle, step);

        // Windows that began before raw's retention are not whole in raw any more: a recompute would overwrite a
        // full rollup with part of it. Past raw's retention the rollups are the truth.
        DateTimeOffset rawEdge = RollupWindows.Ceil(now - settings.Raw, step);
        DateTimeOffset from = watermarks.TryGetValue(tier, out DateTimeOffset mark) && mark > rawEdge ? mark : rawEdge;
        int statements = 0;
        string db = catalog.Database;
        DateTimeOffset start = from;
        while (from < cut)
        {
            DateTimeOffset to = from + options.Value.BackfillChunk < cut ? from + options.Value.BackfillChunk : cut;
            await influx.ExecuteAsync(RetentionStatements.Backfill(db, tier, from, to), db, cancellationToken).ConfigureAwait(false);
            await ledger.WriteWatermarkAsync(tier, to, now, cancellationToken).ConfigureAwait(false);
            watermarks[tier] = to;
            statements++;
            from = to;
        }

        if (statements > 1)
        {
            // A catch-up (a new tier, a node back after long): once, so worth a line; the minute-by-minute steps are not.
            LogCaughtUp(logger, tier.Name(), start, cut, statements);
        }

        return statements;
    }

    /// <summary>
    /// Recomputes the windows of <paramref name="tier"/> below its watermark that hold a point of the marks it has not
    /// applied yet, records that it applied them, then deletes the marks every tier applied.
    /// </summary>
    private async Task<(int Consumed, int Statements)> ConsumeMarksAsync(StorageTier tier, RetentionSettings settings, DateTimeOffset now, Dictionary<StorageTier, DateTimeOffset> watermarks, CancellationToken cancellationToken)
    {
        DateTimeOffset until = now - RollupMarks.ConsumeAfter;
        var applied = new Dictionary<StorageTier, DateTimeOffset>(await ledger.ConsumedAsync(cancellationToken).ConfigureAwait(false));
        DateTimeOffset? after = applied.TryGetValue(tier, out DateTimeOffset done) ? done : null;
        if (after == until)
        {
            metrics.Taken(tier, until);
            return (0, 0);
        }

        if (after > until)
        {
            // The wall clock was set back past the tier's record: marks written since the step carry times before
            // it. Which of the marks left the tier applied cannot be told by time: it takes them all again (a
            // recompute twice is harmless), and the record goes back (the ledger keeps the furthest).
            await ledger.ForgetConsumedAsync(tier, cancellationToken).ConfigureAwait(false);
            after = null;
        }

        // A tier with no watermark has rolled nothing up: no window of it is stale, its roll-forward starts from raw.
        (int consumed, int statements) = watermarks.TryGetValue(tier, out DateTimeOffset watermark)
            ? await RecomputeMarkedAsync(tier, settings, now, watermark, after, until, cancellationToken).ConfigureAwait(false)
            : (0, 0);
        await ledger.WriteConsumedAsync(tier, until, now, cancellationToken).ConfigureAwait(false);
        applied[tier] = until;
        metrics.Taken(tier, until);
        await DeleteTakenMarksAsync(applied, until, cancellationToken).ConfigureAwait(false);
        return (consumed, statements);
    }

    /// <summary>Recomputes the windows of <paramref name="tier"/> below <paramref name="watermark"/> holding a point of the marks written in (<paramref name="after"/>, <paramref name="until"/>].</summary>
    private async Task<(int Consumed, int Statements)> RecomputeMarkedAsync(StorageTier tier, RetentionSettings settings, DateTimeOffset now, DateTimeOffset watermark, DateTimeOffset? after, DateTimeOffset until, CancellationToken cancellationToken)
    {
        IReadOnlyList<LateMark> marks = await ledger.MarksAsync(after, until, cancellationToken).ConfigureAwait(false);
        string db = catalog.Database;

        // Windows at or above the watermark are rolled by the tier's own refresh, after the point landed.
        DateTimeOffset rawEdge = RollupWindows.Ceil(now - settings.Raw, tier.Resolution());
        var statements = new List<string>();
        foreach (IGrouping<string, LateMark> device in marks.GroupBy(m => m.Device, StringComparer.Ordinal))
        {
            // A device's marks come one per day its late points fall on: adjacent days join into one statement.
            foreach ((DateTimeOffset from, DateTimeOffset to) in RollupWindows.Merge(device, tier.Resolution(), rawEdge, watermark))
            {
                statements.Add(RetentionStatements.Recompute(db, tier, device.Key, from, to));
            }
        }

        foreach (string[] chunk in statements.Chunk(StatementsPerRequest))
        {
            await influx.ExecuteAsync(string.Join(";\n", chunk), db, cancellationToken).ConfigureAwait(false);
        }

        return (marks.Count, statements.Count);
    }

    /// <summary>
    /// Deletes the marks at or before every tier's record in <paramref name="applied"/>. A tier that never applied one
    /// (its record lost, or past meta's retention), or whose record is ahead of the clock (set back, not yet pulled
    /// back by its refresh), keeps them all.
    /// </summary>
    private async Task DeleteTakenMarksAsync(Dictionary<StorageTier, DateTimeOffset> applied, DateTimeOffset until, CancellationToken cancellationToken)
    {
        DateTimeOffset deletable = DateTimeOffset.MaxValue;
        foreach (StorageTier tier in StorageTiers.Rollups)
        {
            if (!applied.TryGetValue(tier, out DateTimeOffset done) || done > until)
            {
                return;
            }

            deletable = done < deletable ? done : deletable;
        }

        await _deleteGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Between two h1 refreshes the bound stays where h1 left it: a DELETE walks every shard of raw, once is enough.
            if (deletable != _deletedUntil)
            {
                await ledger.DeleteMarksAsync(deletable, cancellationToken).ConfigureAwait(false);
                _deletedUntil = deletable;
            }
        }
        catch (InfluxException ex)
        {
            // influxd 1.6 answers "engine is closed" when a DELETE meets a shard being closed (another database
            // dropped meanwhile, seen in tests). Kept marks are behind every tier's record: the next refresh deletes them.
            LogMarksKept(logger, ex);
        }
        finally
        {
            _deleteGate.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Rollup {Tier} caught up over {From:o}..{To:o} in {Statements} statements")]
    private static partial void LogCaughtUp(ILogger logger, string tier, DateTimeOffset from, DateTimeOffset to, int statements);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The clock is behind the {Tier} rollups' watermark {Watermark:o} (set back?): windows from {From:o} are read from raw and rolled again")]
    private static partial void LogClockBehindWatermark(ILogger logger, string tier, DateTimeOffset watermark, DateTimeOffset from);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting consumed rollup marks failed; the next refresh deletes them")]
    private static partial void LogMarksKept(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refreshing the {Tier} rollups failed; the next refresh retries (queries read the windows not rolled up from raw)")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception, string tier);
}
