using Datacake.Streams.Files;
using System.Buffers;
using System.Buffers.Binary;
using Datacake.Streams.Processing.Dedup;
using Datacake.Streams.RecordLog;

namespace Datacake.Streams.Processing.Replay;

/// <summary>
/// Keeps the replay and dedup state of each partition in <c>&lt;dir&gt;/partition-&lt;n&gt;.state</c>, tagged with the
/// log offset it covers, replaced atomically: write a temp file, fsync it, rename it over the old one, fsync the
/// directory. A crash at any point leaves either the old or the new file whole; a torn temp file is never read.
/// </summary>
/// <remarks>
/// <para>Order per batch: InfluxDB write → <see cref="Save"/> → log commit. Why this order:</para>
/// <list type="bullet">
/// <item>Crash after the write, before the state: the restarted partition reads the batch again from the last commit
/// with the older state, passes it again and rewrites the same points (deterministic timestamps): nothing lost,
/// nothing counted twice.</item>
/// <item>Crash after the state, before the commit: the batch is read again but the state already holds it, so its
/// records come back as duplicates/replays. They are written already, so the pipeline must drop (not dead-letter)
/// refusals of records at offsets ≤ <see cref="PartitionState.CoveredOffset"/>.</item>
/// <item>State saved before the write would be wrong: a crash between them would refuse the unwritten batch on
/// restart, losing it. Commit before the state would lose the state of a committed batch, letting its duplicates in.</item>
/// </list>
/// <para>Cost: one fsync of a file and one of a directory, a few ms here (about 2,200 fsyncs/s measured): the
/// pipeline may save every N batches instead of every batch; records of batches in between then replay as above.</para>
/// <para>Between snapshots the pipeline's saves append to the partition's journal (<see cref="PartitionJournal"/>,
/// <see cref="JournalPathOf"/>); <see cref="Load"/> applies it after the snapshot it continues.</para>
/// <para>Not thread-safe per partition: one writer per partition (partitions may be saved concurrently).</para>
/// </remarks>
public sealed class PartitionStateStore
{
    public const byte FileVersion = 1;
    private const uint Magic = 0x53504344; // "DCPS" little-endian
    private const int HeaderLength = 4 + 1 + 4 + 8;

    private readonly string _directory;

    public PartitionStateStore(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _directory = Path.GetFullPath(directory);
        PrivateFile.CreateDirectory(_directory);
    }

    /// <summary>
    /// A journal is folded into a new snapshot once it outgrows twice the snapshot, and not below this: a save appends
    /// ~34 B per JSON record, so 4 MiB is ~120k records, a few seconds of one partition at full speed. Tests set less.
    /// </summary>
    internal long MinJournalBytes { get; init; } = 4 * 1024 * 1024;

    public string PathOf(int partition) => Path.Combine(_directory, $"partition-{partition}.state");

    /// <summary>The journal of the records accepted since the snapshot in <see cref="PathOf"/> (<see cref="PartitionJournal"/>).</summary>
    public string JournalPathOf(int partition) => Path.Combine(_directory, $"partition-{partition}.journal");

    /// <summary>
    /// The journal to append to after <paramref name="loaded"/>: continued where its whole entries end when
    /// <see cref="Load"/> read it, else started over after the loaded snapshot (whose offset is then the covered one).
    /// </summary>
    internal PartitionJournal OpenJournal(PartitionState loaded) => loaded.JournalMatches
        ? PartitionJournal.Continue(JournalPathOf(loaded.Partition), loaded.Partition, loaded.JournalLength)
        : PartitionJournal.Start(JournalPathOf(loaded.Partition), loaded.Partition, loaded.CoveredOffset ?? -1);

    /// <summary>Writes the state covering <paramref name="covered"/> (the last record it includes) durably.</summary>
    public void Save(LogPosition covered, ReplayGuard guard, DuplicateFilter filter)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        Snapshot(covered, guard, filter, buffer);
        Write(covered.Partition, buffer.WrittenSpan);
    }

    /// <summary>
    /// The file content of the state covering <paramref name="covered"/>, into <paramref name="buffer"/>: the part of
    /// a save that must see the guard and filter unchanged (under the partition's lock), without the disk work.
    /// </summary>
    public static void Snapshot(LogPosition covered, ReplayGuard guard, DuplicateFilter filter, ArrayBufferWriter<byte> buffer)
    {
        ArgumentNullException.ThrowIfNull(guard);
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(buffer);
        var header = buffer.GetSpan(HeaderLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        header[4] = FileVersion;
        BinaryPrimitives.WriteInt32LittleEndian(header[5..], covered.Partition);
        BinaryPrimitives.WriteInt64LittleEndian(header[9..], covered.Offset);
        buffer.Advance(HeaderLength);
        WriteSection(buffer, guard.WriteSnapshot);
        WriteSection(buffer, filter.WriteSnapshot);
    }

    /// <summary>Replaces the state file of <paramref name="partition"/> with <paramref name="snapshot"/> (from <see cref="Snapshot"/>) durably.</summary>
    public void Write(int partition, ReadOnlySpan<byte> snapshot) => DirectorySync.ReplaceFile(PathOf(partition), snapshot);

    /// <summary>
    /// Loads a partition's state: the snapshot, then the journal's whole entries after it. Never throws on bad
    /// content: no file → empty state, offset null; an unreadable snapshot (torn, altered, other version, other
    /// partition) → empty state with <see cref="PartitionState.Corrupt"/>. Leftover temp files from a crash during a
    /// save are deleted unread.
    /// </summary>
    public PartitionState Load(int partition, ReplayGuardOptions replayOptions, DuplicateFilterOptions dedupOptions, TimeProvider time)
    {
        var target = PathOf(partition);
        var temp = target + ".tmp";
        if (File.Exists(temp))
        {
            File.Delete(temp);
        }

        var journalTemp = JournalPathOf(partition) + ".tmp";
        if (File.Exists(journalTemp))
        {
            File.Delete(journalTemp);
        }

        var snapshot = LoadSnapshot(partition, target, replayOptions, dedupOptions, time);
        if (snapshot.Corrupt)
        {
            // The journal continues a snapshot that is gone: not read, and started over after the empty state.
            return snapshot;
        }

        var (matches, last, length) = PartitionJournal.Replay(
            JournalPathOf(partition), partition, snapshot.CoveredOffset ?? -1, snapshot.Guard, snapshot.Filter);
        return snapshot with
        {
            CoveredOffset = last ?? snapshot.CoveredOffset,
            JournalMatches = matches,
            JournalLength = length,
        };
    }

    private PartitionState LoadSnapshot(int partition, string target, ReplayGuardOptions replayOptions, DuplicateFilterOptions dedupOptions, TimeProvider time)
    {
        if (!File.Exists(target))
        {
            return new PartitionState(partition, null, new ReplayGuard(replayOptions, time), new DuplicateFilter(dedupOptions), Corrupt: false);
        }

        ReadOnlySpan<byte> bytes = File.ReadAllBytes(target);
        if (bytes.Length >= HeaderLength
            && BinaryPrimitives.ReadUInt32LittleEndian(bytes) == Magic
            && bytes[4] == FileVersion
            && BinaryPrimitives.ReadInt32LittleEndian(bytes[5..]) == partition
            && TryReadSection(bytes, HeaderLength, out var guardBytes, out var next)
            && TryReadSection(bytes, next, out var filterBytes, out var end)
            && end == bytes.Length
            && ReplayGuard.TryLoad(bytes.Slice(guardBytes.Start, guardBytes.Length), replayOptions, time, out var guard)
            && DuplicateFilter.TryLoad(bytes.Slice(filterBytes.Start, filterBytes.Length), dedupOptions, out var filter))
        {
            return new PartitionState(partition, BinaryPrimitives.ReadInt64LittleEndian(bytes[9..]), guard, filter, Corrupt: false)
            {
                SnapshotLength = bytes.Length,
            };
        }

        return new PartitionState(partition, null, new ReplayGuard(replayOptions, time), new DuplicateFilter(dedupOptions), Corrupt: true);
    }

    private static void WriteSection(ArrayBufferWriter<byte> buffer, Action<IBufferWriter<byte>> write)
    {
        var lengthAt = buffer.WrittenCount;
        buffer.GetSpan(4);
        buffer.Advance(4);
        write(buffer);
        var length = buffer.WrittenCount - lengthAt - 4;
        BinaryPrimitives.WriteInt32LittleEndian(
            System.Runtime.InteropServices.MemoryMarshal.AsMemory(buffer.WrittenMemory).Span.Slice(lengthAt, 4), length);
    }

    private static bool TryReadSection(ReadOnlySpan<byte> bytes, int at, out (int Start, int Length) section, out int next)
    {
        section = default;
        next = 0;
        if (at > bytes.Length - 4)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(bytes[at..]);
        if (length < 0 || length > bytes.Length - at - 4)
        {
            return false;
        }

        section = (at + 4, length);
        next = at + 4 + length;
        return true;
    }
}
