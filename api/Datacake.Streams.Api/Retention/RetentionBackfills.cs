using System.Threading.Channels;
using Datacake.Streams.Influx.Client;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.Retention;

/// <summary>A window of a rollup tier to recompute from raw, aligned to the tier's interval.</summary>
public sealed record BackfillWindow(StorageTier Tier, DateTimeOffset From, DateTimeOffset To, string Reason)
{
    /// <summary>[from, to) widened to whole intervals of the tier: a partial bucket would overwrite a full one.</summary>
    public static BackfillWindow Covering(StorageTier tier, DateTimeOffset from, DateTimeOffset to, string reason)
    {
        long step = tier.Resolution().Ticks;
        long start = from.UtcTicks - ((from.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) % step);
        long endFloor = to.UtcTicks - ((to.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) % step);
        return new BackfillWindow(tier, new DateTimeOffset(start, TimeSpan.Zero), new DateTimeOffset(endFloor + step, TimeSpan.Zero), reason);
    }
}

/// <summary>
/// Runs backfills one at a time in the background, in chunks of <see cref="RetentionTiersOptions.BackfillChunk"/>
/// (newest first, so that dashboards of the last days are right soonest). A failed chunk is logged and skipped:
/// the continuous query still covers the look-back, and a later apply can backfill again.
/// </summary>
public sealed partial class RetentionBackfills(InfluxClient influx, IOptions<RetentionTiersOptions> options, ILogger<RetentionBackfills> logger)
{
    private readonly Channel<BackfillWindow> _queue = Channel.CreateUnbounded<BackfillWindow>(new UnboundedChannelOptions { SingleReader = true });
    private long _completed;
    private long _failedChunks;

    /// <summary>Windows finished (successfully or not) since start.</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>Chunks that InfluxDB refused or did not answer (each retried by the client first) since start.</summary>
    public long FailedChunks => Interlocked.Read(ref _failedChunks);

    public void Enqueue(BackfillWindow window) => _queue.Writer.TryWrite(window);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await foreach (BackfillWindow window in _queue.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            string db = influx.Options.Database;
            DateTimeOffset to = window.To;
            while (to > window.From)
            {
                DateTimeOffset from = to - options.Value.BackfillChunk < window.From ? window.From : to - options.Value.BackfillChunk;
                try
                {
                    await influx.ExecuteAsync(RetentionStatements.Backfill(db, window.Tier, from, to), db, cancellationToken).ConfigureAwait(false);
                }
                catch (InfluxException ex)
                {
                    Interlocked.Increment(ref _failedChunks);
                    LogChunkFailed(logger, ex, window.Tier.Name(), from, to);
                }

                to = from;
            }

            LogDone(logger, window.Tier.Name(), window.From, window.To, window.Reason);
            Interlocked.Increment(ref _completed);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backfill of {Tier} for {From:o}..{To:o} failed")]
    private static partial void LogChunkFailed(ILogger logger, Exception exception, string tier, DateTimeOffset from, DateTimeOffset to);

    [LoggerMessage(Level = LogLevel.Information, Message = "Backfilled {Tier} for {From:o}..{To:o} ({Reason})")]
    private static partial void LogDone(ILogger logger, string tier, DateTimeOffset from, DateTimeOffset to, string reason);
}
