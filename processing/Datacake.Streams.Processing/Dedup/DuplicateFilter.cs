using System.Buffers;
using Datacake.Streams.Ids;
using Datacake.Streams.Records;

using Datacake.Streams.Processing.Snapshots;

namespace Datacake.Streams.Processing.Dedup;

/// <summary>
/// Drops the second copy of a message by the natural key ingest stored in <see cref="RawRecord.MessageId"/>
/// (TTS DevEUI+session+f_cnt, ChirpStack deduplicationId, Helium id, Particle coreid+published_at+event hash, HTTP
/// Idempotency-Key, MQTT content key). Records without a key are never duplicates.
/// </summary>
/// <remarks>
/// <para>Bounded memory. Per device the last <see cref="DuplicateFilterOptions.WindowSize"/> keys (256) or those
/// received within <see cref="DuplicateFilterOptions.WindowAge"/> (24 h) of the device's newest, whichever is fewer;
/// over all devices at most <see cref="DuplicateFilterOptions.MaxEntries"/> keys (2,000,000), evicting the least
/// recently used device. A key is a 64-bit XxHash3 of the string (8 B) plus its receive time (8 B): 16 B per key in
/// the window arrays; measured with per-device overhead in DuplicateFilterMemoryTests (docs/PROCESSING.md).</para>
/// <para>Like <see cref="ReplayGuard"/>: <see cref="IsDuplicate"/> is pure, <see cref="Accept"/> remembers a key
/// once its points are written. Two copies inside one batch both pass and write identical points (deterministic
/// time), which InfluxDB stores once. One instance per partition, one thread at a time.</para>
/// </remarks>
public sealed class DuplicateFilter
{
    public const byte SnapshotVersion = 1;
    private const uint Magic = 0x46444344; // "DCDF" little-endian
    private const long NanosPerTick = 100;

    private readonly DuplicateFilterOptions _options;
    private readonly long _windowAgeNs;
    private readonly Dictionary<DeviceId, DeviceKeyWindow> _devices = [];
    private readonly LruChain<DeviceKeyWindow> _lru = new();

    public DuplicateFilter(DuplicateFilterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _windowAgeNs = options.WindowAge.Ticks * NanosPerTick;
    }

    public int DeviceCount => _devices.Count;

    /// <summary>Keys held over all devices.</summary>
    public long EntryCount { get; private set; }

    public bool IsDuplicate(in RawRecord record) => IsDuplicate(record, KeyHash.OfMessageId(record));

    /// <summary>As <see cref="IsDuplicate(in RawRecord)"/> with the message id's <see cref="KeyHash"/> (0: none) already at hand.</summary>
    internal bool IsDuplicate(in RawRecord record, ulong messageKey)
    {
        if (messageKey == 0 || !_devices.TryGetValue(record.DeviceId, out var window))
        {
            return false;
        }

        return window.Contains(messageKey, record.ReceivedAtUnixNs - _windowAgeNs);
    }

    public void Accept(in RawRecord record) => Accept(record, KeyHash.OfMessageId(record), knownNew: false);

    /// <summary>
    /// As <see cref="Accept(in RawRecord)"/> with the message id's <see cref="KeyHash"/> (0: none) already at hand.
    /// <paramref name="knownNew"/>: the caller checked that the key is in no window (an admitted record, of which no
    /// other copy was admitted), so the second scan of the device's window is skipped.
    /// </summary>
    internal void Accept(in RawRecord record, ulong messageKey, bool knownNew) =>
        Accept(record.DeviceId, record.ReceivedAtUnixNs, messageKey, knownNew);

    /// <summary>As <see cref="Accept(in RawRecord, ulong, bool)"/> from a device, receive time and message key (journal replay).</summary>
    internal void Accept(DeviceId device, long receivedAtUnixNs, ulong messageKey, bool knownNew)
    {
        if (messageKey == 0)
        {
            return;
        }

        var hash = messageKey;
        if (!_devices.TryGetValue(device, out var window))
        {
            window = new DeviceKeyWindow(device);
            _devices.Add(device, window);
            _lru.AddNewest(window);
        }
        else
        {
            _lru.Touch(window);
        }

        var notBefore = receivedAtUnixNs - _windowAgeNs;
        EntryCount -= window.Expire(notBefore);
        if (!knownNew && window.Contains(hash, notBefore))
        {
            // Both copies of an in-batch duplicate are accepted after the write: keep one slot.
            return;
        }

        EntryCount += window.Add(hash, receivedAtUnixNs, _options.WindowSize);
        while (EntryCount > _options.MaxEntries && _lru.Oldest is { } oldest && !ReferenceEquals(oldest, window))
        {
            _lru.Remove(oldest);
            _devices.Remove(oldest.Device);
            EntryCount -= oldest.Count;
        }
    }

    /// <summary>Snapshot v1 with CRC-32 trailer: "DCDF" u8 version, u32 devices, per device (LRU first) 16 B id, u16 n, n × (u64 hash, i64 ns).</summary>
    public void WriteSnapshot(IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using var writer = new SnapshotWriter((int)Math.Min(int.MaxValue / 2, 16 + (_devices.Count * 18) + (EntryCount * 16)));
        writer.WriteUInt32(Magic);
        writer.WriteByte(SnapshotVersion);
        writer.WriteUInt32((uint)_devices.Count);
        foreach (var window in _lru.OldestFirst())
        {
            writer.WriteDevice(window.Device);
            writer.WriteUInt16((ushort)window.Count);
            for (var i = 0; i < window.Count; i++)
            {
                var (hash, time) = window.At(i);
                writer.WriteUInt64(hash);
                writer.WriteInt64(time);
            }
        }

        writer.CopyTo(destination);
    }

    /// <summary>Never throws on bad bytes: corrupt → an empty filter and false.</summary>
    public static bool TryLoad(ReadOnlySpan<byte> snapshot, DuplicateFilterOptions options, out DuplicateFilter filter)
    {
        filter = new DuplicateFilter(options);
        if (filter.TryRead(snapshot))
        {
            return true;
        }

        filter = new DuplicateFilter(options);
        return false;
    }

    private bool TryRead(ReadOnlySpan<byte> snapshot)
    {
        if (!SnapshotReader.TryOpen(snapshot, out var reader)
            || !reader.TryReadUInt32(out var magic) || magic != Magic
            || !reader.TryReadByte(out var version) || version != SnapshotVersion
            || !reader.TryReadUInt32(out var devices) || devices > reader.Remaining / 18)
        {
            return false;
        }

        for (var d = 0; d < devices; d++)
        {
            if (!reader.TryReadDevice(out var id) || !reader.TryReadUInt16(out var count)
                || count > reader.Remaining / 16 || _devices.ContainsKey(id))
            {
                return false;
            }

            var window = new DeviceKeyWindow(id);
            for (var i = 0; i < count; i++)
            {
                reader.TryReadUInt64(out var hash);
                reader.TryReadInt64(out var time);
                EntryCount += window.Add(hash, time, _options.WindowSize);
            }

            _devices.Add(id, window);
            _lru.AddNewest(window);
        }

        return reader.Remaining == 0;
    }
}
