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
    TimeProvider timeProvider,
    ILogger<RollupRefresher> logger) : BackgroundService
{
    // Recomputes per request: 50 one-device statements are ~10 KB of InfluxQL, one round trip.
    private const int StatementsPerRequest = 50;

    private static readonly StorageTier[] Tiers = [StorageTier.M1, StorageTier.H1];

    private readonly SemaphoreSlim _gate = new(1, 1);
    // Monotonic timestamps: a wall clock set back must neither stall the schedule nor hide how long ago it ran.
    private readonly Dictionary<StorageTier, long> _lastRun = [];
    private long _previousRefresh = timeProvider.GetTimestamp();
    private long _refreshes;
    private DateTimeOffset? _deletedUntil;

    /// <summary>Refreshes finished since start (scheduled or asked for).</summary>
    public long Refreshes => Interlocked.Read(ref _refreshes);

    /// <summary>
    /// One refresh now: every tier whose <see cref="RollupSettings.RefreshEvery"/> has passed since its last run (all
    /// of them when <paramref name="force"/>), then the marks. Serialized with the scheduled ones.
    /// </summary>
    public async Task<RollupRefresh> RefreshAsync(bool force, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            RetentionSettings settings = await catalog.CurrentAsync(cancellationToken).ConfigureAwait(false);
            DateTimeOffset now = timeProvider.GetUtcNow();
            long started = timeProvider.GetTimestamp();
            var watermarks = new Dictionary<StorageTier, DateTimeOffset>(await ledger.WatermarksAsync(cancellationToken).ConfigureAwait(false));
            int statements = 0;
            var due = new List<StorageTier>(Tiers.Length);
            foreach (StorageTier tier in Tiers)
            {
                await PullBackAfterClockStepAsync(tier, now, timeProvider.GetElapsedTime(_previousRefresh), watermarks, cancellationToken).ConfigureAwait(false);
                if (!force && _lastRun.TryGetValue(tier, out long last) && timeProvider.GetElapsedTime(last) < settings.Rollup(tier).RefreshEvery)
                {
                    continue;
                }

                statements += await RollForwardAsync(tier, settings, now, watermarks, cancellationToken).ConfigureAwait(false);
                _lastRun[tier] = started;
                due.Add(tier);
            }

            _previousRefresh = started;

            (int consumed, int recomputes) = await ConsumeMarksAsync(settings, now, watermarks, due, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _refreshes);
            return new RollupRefresh(statements + recomputes, consumed, watermarks);
        }
        finally
        {
            _gate.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // After provisioning (the policies exist) and the layout step (raw is in the per-device measurements).
        await retention.LayoutMigrated.WaitAsync(stoppingToken).ConfigureAwait(false);
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan tick = TimeSpan.FromMinutes(1);
            try
            {
                RetentionSettings settings = await catalog.CurrentAsync(stoppingToken).ConfigureAwait(false);
                tick = settings.M1.RefreshEvery < settings.H1.RefreshEvery ? settings.M1.RefreshEvery : settings.H1.RefreshEvery;
                await RefreshAsync(force: false, stoppingToken).ConfigureAwait(false);
            }
            catch (InfluxException ex)
            {
                // The windows stay above the watermark (queries read them from raw) and the marks stay: the next tick retries.
                LogRefreshFailed(logger, ex);
            }

            await Task.Delay(tick, timeProvider, stoppingToken).ConfigureAwait(false);
        }
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
    /// For each tier in <paramref name="due"/>: recomputes the windows below its watermark that hold a point of the
    /// marks it has not applied yet, then records that it applied them; then deletes the marks every tier applied.
    /// </summary>
    private async Task<(int Consumed, int Statements)> ConsumeMarksAsync(RetentionSettings settings, DateTimeOffset now, Dictionary<StorageTier, DateTimeOffset> watermarks, List<StorageTier> due, CancellationToken cancellationToken)
    {
        DateTimeOffset until = now - RollupMarks.ConsumeAfter;
        var applied = new Dictionary<StorageTier, DateTimeOffset>(await ledger.ConsumedAsync(cancellationToken).ConfigureAwait(false));
        string db = catalog.Database;
        int consumed = 0;
        int statementCount = 0;
        foreach (StorageTier tier in due)
        {
            DateTimeOffset? after = applied.TryGetValue(tier, out DateTimeOffset done) ? done : null;
            if (after > until)
            {
                // The wall clock was set back past the tier's record: marks written since the step carry times
                // before it. Which of the marks left the tier applied cannot be told by time: it takes them all
                // again (a recompute twice is harmless), and the record goes back (the ledger keeps the furthest).
                await ledger.ForgetConsumedAsync(tier, cancellationToken).ConfigureAwait(false);
                after = null;
            }
            else if (after == until)
            {
                continue;
            }

            // A tier with no watermark has rolled nothing up: no window of it is stale, its roll-forward starts from raw.
            if (watermarks.TryGetValue(tier, out DateTimeOffset watermark))
            {
                IReadOnlyList<LateMark> marks = await ledger.MarksAsync(after, until, cancellationToken).ConfigureAwait(false);

                // Windows at or above the watermark are rolled by the tier's own refresh, after the point landed.
                DateTimeOffset rawEdge = RollupWindows.Ceil(now - settings.Raw, tier.Resolution());
                var statements = new List<string>();
                foreach (LateMark mark in marks)
                {
                    foreach ((DateTimeOffset from, DateTimeOffset to) in RollupWindows.Merge([mark], tier.Resolution(), rawEdge, watermark))
                    {
                        statements.Add(RetentionStatements.Recompute(db, tier, mark.Device, from, to));
                    }
                }

                foreach (string[] chunk in statements.Chunk(StatementsPerRequest))
                {
                    await influx.ExecuteAsync(string.Join(";\n", chunk), db, cancellationToken).ConfigureAwait(false);
                }

                consumed += marks.Count;
                statementCount += statements.Count;
            }

            await ledger.WriteConsumedAsync(tier, until, now, cancellationToken).ConfigureAwait(false);
            applied[tier] = until;
        }

        // A mark goes once no tier needs it. A tier that never applied one (new, or its record past meta's retention),
        // or whose record is ahead of the clock (set back, not yet pulled back by its refresh), keeps them all.
        DateTimeOffset? deletable = null;
        foreach (StorageTier tier in Tiers)
        {
            if (!applied.TryGetValue(tier, out DateTimeOffset done) || done > until)
            {
                return (consumed, statementCount);
            }

            deletable = deletable is null || done < deletable ? done : deletable;
        }

        // Between two h1 refreshes the bound stays where h1 left it: a DELETE walks every shard of raw, once is enough.
        if (deletable == _deletedUntil)
        {
            return (consumed, statementCount);
        }

        try
        {
            await ledger.DeleteMarksAsync(deletable!.Value, cancellationToken).ConfigureAwait(false);
            _deletedUntil = deletable;
        }
        catch (InfluxException ex)
        {
            // influxd 1.6 answers "engine is closed" when a DELETE meets a shard being closed (another database
            // dropped meanwhile, seen in tests). Kept marks are past every tier's consumed mark: never read again.
            LogMarksKept(logger, ex);
        }

        return (consumed, statementCount);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Rollup {Tier} caught up over {From:o}..{To:o} in {Statements} statements")]
    private static partial void LogCaughtUp(ILogger logger, string tier, DateTimeOffset from, DateTimeOffset to, int statements);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The clock is behind the {Tier} rollups' watermark {Watermark:o} (set back?): windows from {From:o} are read from raw and rolled again")]
    private static partial void LogClockBehindWatermark(ILogger logger, string tier, DateTimeOffset watermark, DateTimeOffset from);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting consumed rollup marks failed; the next refresh deletes them")]
    private static partial void LogMarksKept(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refreshing the rollups failed; the next refresh retries (queries read the windows not rolled up from raw)")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);
}
