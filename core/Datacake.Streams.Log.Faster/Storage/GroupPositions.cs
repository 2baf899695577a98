using Datacake.Streams.Files;
using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace Datacake.Streams.RecordLog.Faster.Storage;

/// <summary>
/// The committed offset of each partition for one consumer group, kept durable in a small file of two slots.
/// A commit writes the slot the previous one did not use and fsyncs it, so a crash in the middle of a write
/// leaves the other slot intact; on open the valid slot with the higher sequence wins. One fsync per commit,
/// no rename and no directory update.
/// </summary>
/// <remarks>Slot: magic u32, format u32, sequence u64, count u32, reserved u32, offsets i64[count], FNV-1a 64 of the rest.</remarks>
internal sealed class GroupPositions : IDisposable
{
    public const long None = -1;

    private const uint Magic = 0x50534344; // "DCSP" little-endian
    private const uint Format = 1;
    private const int HeaderBytes = 24;
    private const ulong FnvOffset = 14695981039346656037;
    private const ulong FnvPrime = 1099511628211;

    private readonly SafeFileHandle _file;
    private readonly long[] _offsets;
    private readonly byte[] _slot;
    private ulong _sequence;

    private GroupPositions(SafeFileHandle file, long[] offsets, ulong sequence)
    {
        _file = file;
        _offsets = offsets;
        _sequence = sequence;
        _slot = new byte[SlotBytes(offsets.Length)];
    }

    /// <summary>Last committed offset of <paramref name="partition"/>, or <see cref="None"/>.</summary>
    public long this[int partition] => _offsets[partition];

    public static GroupPositions Open(string path, int partitions)
    {
        PrivateFile.CreateDirectory(Path.GetDirectoryName(path)!);
        if (!File.Exists(path))
        {
            // File.OpenHandle takes no create mode: the empty file is made 0600 first.
            using (PrivateFile.OpenWrite(path, FileMode.OpenOrCreate, FileShare.ReadWrite))
            {
            }
        }

        var file = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            var offsets = new long[partitions];
            Array.Fill(offsets, None);
            var sequence = 0UL;
            if (ReadNewestSlot(file, partitions, out var newest) is { } values)
            {
                sequence = newest;
                values.CopyTo(offsets, 0);
            }

            return new GroupPositions(file, offsets, sequence);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The committed offsets in the positions file at <paramref name="path"/> as last made durable, read without
    /// taking the file (its group may be committing meanwhile: a torn slot loses to the other one, as on open).
    /// Null when neither slot is valid.
    /// </summary>
    public static long[]? TryReadDurable(string path, int partitions)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return ReadNewestSlot(file, partitions, out _);
    }

    /// <summary>The offsets of the valid slot with the higher sequence, or null when neither slot is valid.</summary>
    private static long[]? ReadNewestSlot(SafeFileHandle file, int partitions, out ulong sequence)
    {
        var size = SlotBytes(partitions);
        var buffer = new byte[size];
        long[]? newest = null;
        sequence = 0UL;
        for (var slot = 0; slot < 2; slot++)
        {
            var read = RandomAccess.Read(file, buffer, slot * (long)size);
            if (read == size && TryParse(buffer, partitions, out var seq, out var values) && seq > sequence)
            {
                sequence = seq;
                newest = values;
            }
        }

        return newest;
    }

    /// <summary>Moves the partition's committed offset forward and makes it durable; an older offset changes nothing.</summary>
    public void Advance(int partition, long offset)
    {
        if (offset <= _offsets[partition])
        {
            return;
        }

        var previous = _offsets[partition];
        _offsets[partition] = offset;
        try
        {
            Write();
        }
        catch
        {
            _offsets[partition] = previous;
            throw;
        }
    }

    private void Write()
    {
        var sequence = _sequence + 1;
        var span = _slot.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], Format);
        BinaryPrimitives.WriteUInt64LittleEndian(span[8..], sequence);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], _offsets.Length);
        BinaryPrimitives.WriteInt32LittleEndian(span[20..], 0);
        for (var i = 0; i < _offsets.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(span[(HeaderBytes + (i * 8))..], _offsets[i]);
        }

        var body = span[..^8];
        BinaryPrimitives.WriteUInt64LittleEndian(span[^8..], Fnv1a64(body));
        RandomAccess.Write(_file, _slot, (long)(sequence & 1) * _slot.Length);
        RandomAccess.FlushToDisk(_file);
        _sequence = sequence;
    }

    private static bool TryParse(ReadOnlySpan<byte> slot, int partitions, out ulong sequence, out long[] offsets)
    {
        sequence = 0;
        offsets = [];
        if (BinaryPrimitives.ReadUInt32LittleEndian(slot) != Magic
            || BinaryPrimitives.ReadUInt32LittleEndian(slot[4..]) != Format
            || BinaryPrimitives.ReadInt32LittleEndian(slot[16..]) != partitions
            || BinaryPrimitives.ReadUInt64LittleEndian(slot[^8..]) != Fnv1a64(slot[..^8]))
        {
            return false;
        }

        sequence = BinaryPrimitives.ReadUInt64LittleEndian(slot[8..]);
        offsets = new long[partitions];
        for (var i = 0; i < partitions; i++)
        {
            offsets[i] = BinaryPrimitives.ReadInt64LittleEndian(slot[(HeaderBytes + (i * 8))..]);
        }

        return true;
    }

    private static int SlotBytes(int partitions) => HeaderBytes + (partitions * 8) + 8;

    private static ulong Fnv1a64(ReadOnlySpan<byte> bytes)
    {
        var hash = FnvOffset;
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * FnvPrime;
        }

        return hash;
    }

    public void Dispose() => _file.Dispose();
}
