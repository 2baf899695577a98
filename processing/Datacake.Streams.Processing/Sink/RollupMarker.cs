using Datacake.Streams.Ids;
using Datacake.Streams.Influx.LineProtocol;
using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.Storage;

namespace Datacake.Streams.Processing.Sink;

/// <summary>
/// The late-window marks of a values write (docs/PROCESSING.md "Rollup marks", <see cref="RollupMarks"/>): for each
/// device with a record whose earliest point is older than <see cref="RollupMarks.MarkAfter"/>, one line per UTC day
/// its late records' points fall on, <c>dcs_rollup_mark,day=…,device=… from=…i,to=…i</c> spanning its points of that
/// day, written in the same request as the points.
/// </summary>
/// <remarks>
/// The check per record is one comparison of the record's earliest point time (tracked anyway for the too_old check)
/// with a bound taken once per write: nothing is allocated unless a record is late. Each mark gets a time of its own
/// (strictly increasing per process): two marks of one device at the same time would overwrite each other.
/// </remarks>
public sealed class RollupMarker(TimeProvider time)
{
    private long _lastMarkNs;

    /// <summary>Unix ns of now.</summary>
    public long NowNs() => (time.GetUtcNow().UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    /// <summary>Whether any live record of <paramref name="records"/> has a point older than <paramref name="boundNs"/>.</summary>
    public static bool AnyLate(IReadOnlyList<PipelineRecord> records, long boundNs)
    {
        for (int i = 0; i < records.Count; i++)
        {
            if (records[i].EarliestNs < boundNs && records[i].HasEnvelope)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The marks for <paramref name="records"/> at <paramref name="nowNs"/>, or null when none is late.</summary>
    public InfluxPointBatch? Build(IReadOnlyList<PipelineRecord> records, long nowNs)
    {
        long boundNs = nowNs - (RollupMarks.MarkAfter.Ticks * 100);
        if (!AnyLate(records, boundNs))
        {
            return null;
        }

        // Few devices per batch are late at once (a backlog is one partition's devices): a list beats a dictionary.
        var late = new List<(DeviceId Device, long Day, long From, long To)>();
        foreach (PipelineRecord record in records)
        {
            if (record.EarliestNs >= boundNs || !record.HasEnvelope || record.IsRejected)
            {
                continue;
            }

            DeviceId device = record.Raw.DeviceId;
            if (record.DaySpans is { } spans)
            {
                foreach ((long from, long to) in spans)
                {
                    Add(late, device, from, to);
                }
            }
            else
            {
                Add(late, device, record.EarliestNs, record.LatestNs);
            }
        }

        if (late.Count == 0)
        {
            return null;
        }

        var batch = new InfluxPointBatch(late.Count * 112);
        foreach ((DeviceId device, _, long from, long to) in late)
        {
            Append(batch, device, from, to, NextMarkNs(nowNs));
        }

        return batch;
    }

    /// <summary>Folds a span of <paramref name="device"/>'s late points into its mark for the day the span begins on.</summary>
    private static void Add(List<(DeviceId Device, long Day, long From, long To)> late, DeviceId device, long from, long to)
    {
        long day = RollupMarks.Day(from);
        int at = late.FindIndex(l => l.Device == device && l.Day == day);
        if (at < 0)
        {
            late.Add((device, day, from, to));
        }
        else
        {
            late[at] = (device, day, Math.Min(late[at].From, from), Math.Max(late[at].To, to));
        }
    }

    /// <summary>
    /// Writes one mark line: <paramref name="device"/>'s late points span [<paramref name="fromNs"/>, <paramref name="toNs"/>],
    /// named by the UTC day of <paramref name="fromNs"/> (<see cref="RollupMarks.DayTag"/>).
    /// </summary>
    public static void Append(InfluxPointBatch batch, DeviceId device, long fromNs, long toNs, long markNs)
    {
        ArgumentNullException.ThrowIfNull(batch);
        // Heap strings: the writer is a ref struct that may hold what it is given (a mark is rare: late records only).
        var id = device.ToString();
        var day = RollupMarks.DayText(RollupMarks.Day(fromNs));
        LineProtocolWriter line = batch.BeginPoint();
        line.Measurement(RollupMarks.Measurement);
        line.Tag(RollupMarks.DayTag, day);
        line.Tag(StorageLayout.DeviceTag, id);
        line.Field(RollupMarks.FromField, fromNs);
        line.Field(RollupMarks.ToField, toNs);
        line.Timestamp(markNs);
    }

    private long NextMarkNs(long nowNs)
    {
        while (true)
        {
            long last = Interlocked.Read(ref _lastMarkNs);
            long next = Math.Max(nowNs, last + 1);
            if (Interlocked.CompareExchange(ref _lastMarkNs, next, last) == last)
            {
                return next;
            }
        }
    }
}
