using Datacake.Streams.Ids;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.DeadLetters;

/// <summary>
/// The newest dead letters of each device, bounded three ways so that no tenant can grow it or empty it for others:
/// a ring per device (<see cref="DeadLetterOptions.PerDevice"/>: a device's flood replaces only its own letters), a
/// device count per top-level workspace (beyond it the workspace loses its own least recently written device), and
/// a device count and byte estimate for all (beyond them the least recently written device anywhere goes, whole).
/// </summary>
/// <remarks>
/// Thread-safe: one feed writes, requests read. Reads copy out under the lock; a read of 500 letters is microseconds.
/// </remarks>
public sealed class DeadLetterIndex
{
    /// <summary>Bytes of a kept device besides its letters: the slot, its ring, two list nodes, a dictionary entry.</summary>
    internal const int DeviceFixedBytes = 320;

    /// <summary>A letter's share of its ring's array: a reference, doubled because the array grows by doubling.</summary>
    internal const int RingSlotBytes = 16;

    private readonly DeadLetterOptions _options;
    private readonly Lock _gate = new();
    private readonly Dictionary<DeviceId, DeviceLetters> _devices = [];
    private readonly Dictionary<string, LinkedList<DeviceLetters>> _workspaces = new(StringComparer.Ordinal);

    /// <summary>Every kept device, least recently written first.</summary>
    private readonly LinkedList<DeviceLetters> _recent = new();
    private long _bytes;
    private long _evictedDevices;

    public DeadLetterIndex(IOptions<DeadLetterOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
    }

    public int DeviceCount
    {
        get
        {
            lock (_gate)
            {
                return _devices.Count;
            }
        }
    }

    /// <summary>The estimated bytes held, never above <see cref="DeadLetterOptions.MaxBytes"/> after an add returns.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Devices forgotten whole to stay within the caps.</summary>
    public long EvictedDevices => Interlocked.Read(ref _evictedDevices);

    /// <summary>
    /// Keeps <paramref name="entry"/> as the newest letter of <paramref name="device"/>, charged to
    /// <paramref name="workspace"/> (the device's top-level workspace; a device's first letter decides it).
    /// </summary>
    public void Add(DeviceId device, string workspace, DeadLetterEntry entry)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(entry);
        lock (_gate)
        {
            if (!_devices.TryGetValue(device, out var letters))
            {
                letters = new DeviceLetters(device, workspace);
                _devices.Add(device, letters);
                if (!_workspaces.TryGetValue(workspace, out var owned))
                {
                    _workspaces.Add(workspace, owned = new LinkedList<DeviceLetters>());
                }

                letters.InRecent = _recent.AddLast(letters);
                letters.InWorkspace = owned.AddLast(letters);
                Charge(letters, DeviceFixedBytes);
            }
            else
            {
                _recent.Remove(letters.InRecent!);
                _recent.AddLast(letters.InRecent!);
                var owned = letters.InWorkspace!.List!;
                owned.Remove(letters.InWorkspace);
                owned.AddLast(letters.InWorkspace);
            }

            while (letters.Ring.Count >= _options.PerDevice)
            {
                Charge(letters, -(letters.Ring.Dequeue().Bytes + RingSlotBytes));
            }

            letters.Ring.Enqueue(entry);
            Charge(letters, entry.Bytes + RingSlotBytes);

            // The device just written is last in both lists and, with the caps validated, always fits: never evicted here.
            var workspaceDevices = letters.InWorkspace!.List!;
            while (workspaceDevices.Count > _options.MaxDevicesPerWorkspace)
            {
                Evict(workspaceDevices.First!.Value);
            }

            while ((_devices.Count > _options.MaxDevices || _bytes > _options.MaxBytes) && _recent.First!.Value != letters)
            {
                Evict(_recent.First!.Value);
            }
        }
    }

    /// <summary>Up to <paramref name="limit"/> letters of <paramref name="device"/>, newest first; empty when none is kept.</summary>
    public IReadOnlyList<DeadLetterEntry> Newest(DeviceId device, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        lock (_gate)
        {
            if (!_devices.TryGetValue(device, out var letters))
            {
                return [];
            }

            // The ring holds them oldest first; a copy of at most PerDevice references.
            var all = letters.Ring.ToArray();
            var count = Math.Min(limit, all.Length);
            var newest = new DeadLetterEntry[count];
            for (var i = 0; i < count; i++)
            {
                newest[i] = all[all.Length - 1 - i];
            }

            return newest;
        }
    }

    private void Evict(DeviceLetters letters)
    {
        _devices.Remove(letters.Device);
        _recent.Remove(letters.InRecent!);
        var owned = letters.InWorkspace!.List!;
        owned.Remove(letters.InWorkspace);
        if (owned.Count == 0)
        {
            _workspaces.Remove(letters.Workspace);
        }

        Interlocked.Add(ref _bytes, -letters.Bytes);
        Interlocked.Increment(ref _evictedDevices);
    }

    private void Charge(DeviceLetters letters, long bytes)
    {
        letters.Bytes += bytes;
        Interlocked.Add(ref _bytes, bytes);
    }

    private sealed class DeviceLetters(DeviceId device, string workspace)
    {
        public DeviceId Device { get; } = device;

        public string Workspace { get; } = workspace;

        public Queue<DeadLetterEntry> Ring { get; } = new();

        public long Bytes { get; set; }

        public LinkedListNode<DeviceLetters>? InRecent { get; set; }

        public LinkedListNode<DeviceLetters>? InWorkspace { get; set; }
    }
}
