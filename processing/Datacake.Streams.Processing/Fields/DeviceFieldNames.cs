using System.Collections.Concurrent;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using Datacake.Streams.Ids;

namespace Datacake.Streams.Processing.Fields;

/// <summary>
/// The distinct field names each device has stored, as 64-bit hashes, for the per-device limit
/// (<c>too_many_fields</c>): a device's names only weigh on its own measurement, but unbounded they would still fill
/// influxd's index and slow the device's own field look-ups.
/// </summary>
/// <remarks>
/// Filled from the store at start (<c>SHOW FIELD KEYS</c>, <see cref="Seed"/>) and by every accepted record.
/// Processing does not wait for the seed: until it has arrived a device can add up to the limit of names that
/// were already stored, which bounds the overshoot by the names written in the seed's first seconds after a start.
/// One device's set is changed by its partition's stage; the seed runs beside it, hence the lock per set.
/// A hash collision (2⁻⁶⁴ per pair) can only let one name through uncounted.
/// </remarks>
public sealed class DeviceFieldNames
{
    private readonly ConcurrentDictionary<DeviceId, FieldNameSet> _devices = new();

    public DeviceFieldNames(int limitPerDevice)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limitPerDevice, 1);
        LimitPerDevice = limitPerDevice;
    }

    public int LimitPerDevice { get; }

    /// <summary>Devices with a set so far.</summary>
    public int Devices => _devices.Count;

    /// <summary>The set of <paramref name="device"/>, created empty at its first record.</summary>
    public FieldNameSet For(DeviceId device) => _devices.GetOrAdd(device, static _ => new FieldNameSet());

    /// <summary>Adds a name the store already holds for <paramref name="device"/> (never refused: it is stored).</summary>
    public void Seed(DeviceId device, ReadOnlySpan<char> fieldName) => For(device).Add(Hash(fieldName));

    public static ulong Hash(ReadOnlySpan<char> fieldName) => XxHash3.HashToUInt64(MemoryMarshal.AsBytes(fieldName));
}

/// <summary>One device's field-name hashes.</summary>
public sealed class FieldNameSet
{
    private readonly HashSet<ulong> _hashes = [];
    private readonly Lock _gate = new();

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _hashes.Count;
            }
        }
    }

    public bool Contains(ulong hash)
    {
        lock (_gate)
        {
            return _hashes.Contains(hash);
        }
    }

    internal void Add(ulong hash)
    {
        lock (_gate)
        {
            _hashes.Add(hash);
        }
    }

    /// <summary>
    /// Admits a record's new names if the set stays within <paramref name="limit"/>: all of them or none.
    /// <paramref name="fresh"/> holds hashes not seen in the set when the record was decoded, without repeats.
    /// </summary>
    internal bool TryAdmit(ReadOnlySpan<ulong> fresh, int limit, out int known)
    {
        lock (_gate)
        {
            known = _hashes.Count;
            int added = 0;
            foreach (ulong hash in fresh)
            {
                if (!_hashes.Contains(hash))
                {
                    added++;
                }
            }

            if (known + added > limit)
            {
                return false;
            }

            foreach (ulong hash in fresh)
            {
                _hashes.Add(hash);
            }

            return true;
        }
    }
}
