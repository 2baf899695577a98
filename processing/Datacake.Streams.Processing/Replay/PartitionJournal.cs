using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using Datacake.Streams.Processing.Dedup;

namespace Datacake.Streams.Processing.Replay;

/// <summary>
/// The records a partition accepted since its last snapshot, appended per save: <c>partition-&lt;n&gt;.journal</c>
/// beside the <c>.state</c> snapshot. A save then costs what the records since the previous save cost, not a rewrite
/// of every key the partition holds; a snapshot is written only when the journal has grown past the snapshot's size.
/// </summary>
/// <remarks>
/// <para>File: header "DCPJ" u8 version, i32 partition, i64 base (the snapshot's covered offset, -1 without one);
/// then entries of u32 body length, u32 CRC-32 of the body, body = i64 covered offset, u32 count,
/// count × <see cref="AcceptedRecord"/>. An entry is appended and fsynced before the offsets it covers are committed.</para>
/// <para>Load: entries are applied in order after the snapshot, while whole and checked; the first torn or altered
/// one ends the journal (it was never committed past), and the next append starts where the good ones end. A journal
/// whose base is not the snapshot's offset is from before the last snapshot (a crash between writing the snapshot
/// and starting the new journal): everything in it is in that snapshot, so it is not read and is started over.</para>
/// <para>One writer per partition (the checkpointer); not thread-safe.</para>
/// </remarks>
internal sealed class PartitionJournal : IDisposable
{
    public const byte FileVersion = 1;
    private const uint Magic = 0x4A504344; // "DCPJ" little-endian
    private const int HeaderLength = 4 + 1 + 4 + 8;
    private const int EntryHeaderLength = 4 + 4;
    private const int BodyHeaderLength = 8 + 4;

    private readonly string _path;
    private readonly int _partition;
    private FileStream _file;

    private PartitionJournal(string path, int partition, FileStream file)
    {
        _path = path;
        _partition = partition;
        _file = file;
    }

    /// <summary>Bytes in the journal, header included.</summary>
    public long Length => _file.Length;

    /// <summary>
    /// Applies the journal at <paramref name="path"/> to <paramref name="guard"/> and <paramref name="filter"/> when its
    /// base is <paramref name="baseOffset"/>. Returns whether it was read, the offset the last applied entry covers
    /// (null when none) and the length of the whole entries (where the next append goes).
    /// </summary>
    public static (bool Matches, long? LastOffset, long ValidLength) Replay(string path, int partition, long baseOffset, ReplayGuard guard, DuplicateFilter filter)
    {
        if (!File.Exists(path))
        {
            return (false, null, 0);
        }

        ReadOnlySpan<byte> bytes = File.ReadAllBytes(path);
        if (bytes.Length < HeaderLength
            || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic
            || bytes[4] != FileVersion
            || BinaryPrimitives.ReadInt32LittleEndian(bytes[5..]) != partition
            || BinaryPrimitives.ReadInt64LittleEndian(bytes[9..]) != baseOffset)
        {
            return (false, null, 0);
        }

        long? last = null;
        var at = HeaderLength;
        var records = new List<AcceptedRecord>();
        while (TryReadEntry(bytes[at..], records, out var offset, out var length) && offset > (last ?? baseOffset))
        {
            // Applied only once the whole entry is read and checked: never half an entry.
            foreach (var record in records)
            {
                guard.Accept(record);
                filter.Accept(record.DeviceId, record.ReceivedAtUnixNs, record.MessageKey, knownNew: false);
            }

            last = offset;
            at += length;
        }

        return (true, last, at);
    }

    /// <summary>Opens the journal to append after its first <paramref name="validLength"/> bytes (what <see cref="Replay"/> read).</summary>
    public static PartitionJournal Continue(string path, int partition, long validLength)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read, bufferSize: 1);
        if (file.Length != validLength)
        {
            // A torn entry at the end: cut it, so that the next entry follows the last good one.
            file.SetLength(validLength);
            file.Flush(flushToDisk: true);
        }

        file.Seek(validLength, SeekOrigin.Begin);
        return new PartitionJournal(path, partition, file);
    }

    /// <summary>Starts an empty journal after the snapshot covering <paramref name="baseOffset"/> (-1: no snapshot), replacing any other.</summary>
    public static PartitionJournal Start(string path, int partition, long baseOffset)
    {
        var file = CreateEmpty(path, partition, baseOffset);
        return new PartitionJournal(path, partition, file);
    }

    /// <summary>Appends one entry made with <see cref="BeginEntry"/> and <see cref="EndEntry"/>, durably.</summary>
    public void Append(ReadOnlySpan<byte> entry)
    {
        _file.Write(entry);
        _file.Flush(flushToDisk: true);
    }

    /// <summary>After a new snapshot covering <paramref name="baseOffset"/>: an empty journal in place of this one.</summary>
    public void Restart(long baseOffset)
    {
        _file.Dispose();
        _file = CreateEmpty(_path, _partition, baseOffset);
    }

    public void Dispose() => _file.Dispose();

    /// <summary>Reserves an entry's headers at the start of an empty <paramref name="buffer"/>.</summary>
    public static void BeginEntry(ArrayBufferWriter<byte> buffer)
    {
        buffer.GetSpan(EntryHeaderLength + BodyHeaderLength)[..(EntryHeaderLength + BodyHeaderLength)].Clear();
        buffer.Advance(EntryHeaderLength + BodyHeaderLength);
    }

    /// <summary>Appends one record to the entry in <paramref name="buffer"/>.</summary>
    public static void AddRecord(ArrayBufferWriter<byte> buffer, in AcceptedRecord record) =>
        buffer.Advance(record.Encode(buffer.GetSpan(AcceptedRecord.MaxEncodedLength)));

    /// <summary>Fills in the entry's headers: the offset it covers, its record count, length and checksum.</summary>
    public static void EndEntry(ArrayBufferWriter<byte> buffer, long coveredOffset, int count)
    {
        var entry = System.Runtime.InteropServices.MemoryMarshal.AsMemory(buffer.WrittenMemory).Span;
        var body = entry[EntryHeaderLength..];
        BinaryPrimitives.WriteInt64LittleEndian(body, coveredOffset);
        BinaryPrimitives.WriteInt32LittleEndian(body[8..], count);
        BinaryPrimitives.WriteInt32LittleEndian(entry, body.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[4..], Crc32.HashToUInt32(body));
    }

    private static bool TryReadEntry(ReadOnlySpan<byte> bytes, List<AcceptedRecord> records, out long offset, out int length)
    {
        records.Clear();
        offset = 0;
        length = 0;
        if (bytes.Length < EntryHeaderLength + BodyHeaderLength)
        {
            return false;
        }

        var bodyLength = BinaryPrimitives.ReadInt32LittleEndian(bytes);
        if (bodyLength < BodyHeaderLength || bodyLength > bytes.Length - EntryHeaderLength)
        {
            return false;
        }

        var body = bytes.Slice(EntryHeaderLength, bodyLength);
        if (Crc32.HashToUInt32(body) != BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]))
        {
            return false;
        }

        offset = BinaryPrimitives.ReadInt64LittleEndian(body);
        var count = BinaryPrimitives.ReadInt32LittleEndian(body[8..]);
        var at = BodyHeaderLength;
        for (var i = 0; i < count; i++)
        {
            if (!AcceptedRecord.TryDecode(body[at..], out var record, out var recordLength))
            {
                return false;
            }

            records.Add(record);
            at += recordLength;
        }

        length = EntryHeaderLength + bodyLength;
        return count >= 0 && at == bodyLength;
    }

    /// <summary>Replaces <paramref name="path"/> with a header-only journal, durably, and opens it to append.</summary>
    private static FileStream CreateEmpty(string path, int partition, long baseOffset)
    {
        Span<byte> header = stackalloc byte[HeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        header[4] = FileVersion;
        BinaryPrimitives.WriteInt32LittleEndian(header[5..], partition);
        BinaryPrimitives.WriteInt64LittleEndian(header[9..], baseOffset);
        DirectorySync.ReplaceFile(path, header);
        var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read, bufferSize: 1);
        file.Seek(0, SeekOrigin.End);
        return file;
    }
}
