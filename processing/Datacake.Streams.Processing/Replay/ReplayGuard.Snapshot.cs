using System.Buffers;

using Datacake.Streams.Processing.Snapshots;

namespace Datacake.Streams.Processing.Replay;

/// <remarks>
/// Snapshot v1, little-endian, CRC-32 trailer: "DCRG" u8 version, i64 watermark ns, u32 device count, per device
/// (least recently used first) 16 B id + u64 session + u64 previous session + u32 counter + u8 flags (37 B),
/// u32 webhook count, per id (oldest first) u64 hash + i64 receive ns (16 B).
/// </remarks>
public sealed partial class ReplayGuard
{
    public const byte SnapshotVersion = 1;
    private const uint Magic = 0x47524344; // "DCRG" little-endian

    public void WriteSnapshot(IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using var writer = new SnapshotWriter(64 + (_devices.Count * 37) + (_webhookIds.Count * 16));
        writer.WriteUInt32(Magic);
        writer.WriteByte(SnapshotVersion);
        writer.WriteInt64(_watermarkNs);
        writer.WriteUInt32((uint)_devices.Count);
        foreach (var device in _lru.OldestFirst())
        {
            writer.WriteDevice(device.Device);
            writer.WriteUInt64(device.Session);
            writer.WriteUInt64(device.PreviousSession);
            writer.WriteUInt32(device.Counter);
            writer.WriteByte(device.HasCounter ? (byte)1 : (byte)0);
        }

        // Only entries still current (an id accepted twice has one live entry, the newer).
        var live = 0;
        foreach (var entry in _webhookOrder)
        {
            if (_webhookIds.TryGetValue(entry.Hash, out var at) && at == entry.ReceivedAtNs)
            {
                live++;
            }
        }

        writer.WriteUInt32((uint)live);
        foreach (var entry in _webhookOrder)
        {
            if (_webhookIds.TryGetValue(entry.Hash, out var at) && at == entry.ReceivedAtNs)
            {
                writer.WriteUInt64(entry.Hash);
                writer.WriteInt64(entry.ReceivedAtNs);
            }
        }

        writer.CopyTo(destination);
    }

    /// <summary>
    /// Restores a guard from <see cref="WriteSnapshot"/>. Never throws on bad bytes: a torn, altered, unknown-version
    /// or empty snapshot gives an empty guard and false (the caller logs it; the partition then relies on dedup and
    /// time bounds until the state fills again).
    /// </summary>
    public static bool TryLoad(ReadOnlySpan<byte> snapshot, ReplayGuardOptions options, TimeProvider time, out ReplayGuard guard)
    {
        guard = new ReplayGuard(options, time);
        if (guard.TryRead(snapshot))
        {
            return true;
        }

        guard = new ReplayGuard(options, time);
        return false;
    }

    private bool TryRead(ReadOnlySpan<byte> snapshot)
    {
        if (!SnapshotReader.TryOpen(snapshot, out var reader)
            || !reader.TryReadUInt32(out var magic) || magic != Magic
            || !reader.TryReadByte(out var version) || version != SnapshotVersion
            || !reader.TryReadInt64(out _watermarkNs)
            || !reader.TryReadUInt32(out var devices) || devices > reader.Remaining / 37)
        {
            return false;
        }

        for (var i = 0; i < devices; i++)
        {
            if (!reader.TryReadDevice(out var id) || !reader.TryReadUInt64(out var session)
                || !reader.TryReadUInt64(out var previous) || !reader.TryReadUInt32(out var counter)
                || !reader.TryReadByte(out var flags) || flags > 1 || _devices.ContainsKey(id))
            {
                return false;
            }

            var state = new DeviceCounter(id) { Session = session, PreviousSession = previous, Counter = counter, HasCounter = flags == 1 };
            _devices.Add(id, state);
            _lru.AddNewest(state);
        }

        if (!reader.TryReadUInt32(out var ids) || ids > reader.Remaining / 16)
        {
            return false;
        }

        for (var i = 0; i < ids; i++)
        {
            if (!reader.TryReadUInt64(out var hash) || !reader.TryReadInt64(out var at))
            {
                return false;
            }

            _webhookIds[hash] = at;
            _webhookOrder.Enqueue((hash, at));
        }

        return reader.Remaining == 0;
    }
}
