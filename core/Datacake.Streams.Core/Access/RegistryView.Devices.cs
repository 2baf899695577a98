using System.Collections.Concurrent;
using Datacake.Streams.Ids;

namespace Datacake.Streams.Access;

// Devices and the identities webhooks route by (DevEUI, serial, Particle device id).
public sealed partial class RegistryView
{
    // Each external identity maps to the few devices that carry it; the webhook's bound set picks the one meant.
    private readonly ConcurrentDictionary<DevEui, DeviceId[]> _devicesByEui = new();
    private readonly ConcurrentDictionary<string, DeviceId[]> _devicesBySerial = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DeviceId[]> _devicesByParticleId = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DeviceId[]>.AlternateLookup<ReadOnlySpan<char>> _serialLookup;
    private readonly ConcurrentDictionary<string, DeviceId[]>.AlternateLookup<ReadOnlySpan<char>> _particleLookup;

    public bool TryGetDevice(DeviceId id, out DeviceEntry? device) => _devices.TryGetValue(id, out device);

    /// <summary>The live device bound to webhook <paramref name="webhookId"/> whose DevEUI is <paramref name="devEui"/>.</summary>
    public bool FindDeviceByDevEui(string webhookId, DevEui devEui, out DeviceEntry? device)
    {
        device = null;
        return _devicesByEui.TryGetValue(devEui, out var candidates) && Pick(webhookId, candidates, out device);
    }

    /// <summary>As <see cref="FindDeviceByDevEui(string, DevEui, out DeviceEntry?)"/>, from the hex text the network server sent.</summary>
    public bool FindDeviceByDevEui(string webhookId, ReadOnlySpan<char> devEui, out DeviceEntry? device)
    {
        device = null;
        return DevEui.TryParse(devEui, out var eui) && FindDeviceByDevEui(webhookId, eui, out device);
    }

    public bool FindDeviceBySerial(string webhookId, ReadOnlySpan<char> serial, out DeviceEntry? device)
    {
        device = null;
        return _serialLookup.TryGetValue(serial, out var candidates) && Pick(webhookId, candidates, out device);
    }

    public bool FindDeviceByParticleId(string webhookId, ReadOnlySpan<char> particleId, out DeviceEntry? device)
    {
        device = null;
        return _particleLookup.TryGetValue(particleId, out var candidates) && Pick(webhookId, candidates, out device);
    }

    /// <summary>
    /// The one live device with DevEUI <paramref name="devEui"/> that <paramref name="grant"/> may write at
    /// <paramref name="at"/>: a lookup scoped by a workspace or device token (the external broker bridge maps topics
    /// through it). False when none, or when several such devices share the DevEUI: a guess could put one device's
    /// data on another.
    /// </summary>
    public bool FindWritableDeviceByDevEui(TokenGrant grant, DevEui devEui, DateTimeOffset at, out DeviceEntry? device)
    {
        ArgumentNullException.ThrowIfNull(grant);
        device = null;
        return _devicesByEui.TryGetValue(devEui, out var candidates) && PickWritable(grant, candidates, at, out device);
    }

    /// <summary>As <see cref="FindWritableDeviceByDevEui"/>, by serial number.</summary>
    public bool FindWritableDeviceBySerial(TokenGrant grant, ReadOnlySpan<char> serial, DateTimeOffset at, out DeviceEntry? device)
    {
        ArgumentNullException.ThrowIfNull(grant);
        device = null;
        return _serialLookup.TryGetValue(serial, out var candidates) && PickWritable(grant, candidates, at, out device);
    }

    private bool PickWritable(TokenGrant grant, DeviceId[] candidates, DateTimeOffset at, out DeviceEntry? device)
    {
        device = null;
        foreach (var candidate in candidates)
        {
            if (CanWrite(grant, candidate, at) && _devices.TryGetValue(candidate, out var entry))
            {
                if (device is not null)
                {
                    device = null;
                    return false;
                }

                device = entry;
            }
        }

        return device is not null;
    }

    private bool Pick(string webhookId, DeviceId[] candidates, out DeviceEntry? device)
    {
        device = null;
        if (!_webhooksById.TryGetValue(webhookId, out var webhook))
        {
            return false;
        }

        var now = _timeProvider.GetUtcNow();
        foreach (var candidate in candidates)
        {
            if (webhook.IsBound(candidate) && _devices.TryGetValue(candidate, out var entry) && !entry.IsDeletedAt(now)
                && IsWithin(entry.WorkspaceId, webhook.WorkspaceId))
            {
                device = entry;
                return true;
            }
        }

        return false;
    }

    private void Upsert(DeviceEntry device)
    {
        _devices.TryGetValue(device.Id, out var old);
        _devices[device.Id] = device;
        if (old is not null)
        {
            Unindex(old);
        }

        Index(device);
    }

    private void RemoveDevice(DeviceId id)
    {
        if (_devices.TryRemove(id, out var old))
        {
            Unindex(old);
        }
    }

    private void Index(DeviceEntry device)
    {
        if (device.DevEui is { } eui)
        {
            _devicesByEui[eui] = With(_devicesByEui.GetValueOrDefault(eui), device.Id);
        }

        if (device.Serial is { } serial)
        {
            _devicesBySerial[serial] = With(_devicesBySerial.GetValueOrDefault(serial), device.Id);
        }

        if (device.ParticleId is { } particleId)
        {
            _devicesByParticleId[particleId] = With(_devicesByParticleId.GetValueOrDefault(particleId), device.Id);
        }
    }

    private void Unindex(DeviceEntry device)
    {
        if (device.DevEui is { } eui)
        {
            Without(_devicesByEui, eui, device.Id);
        }

        if (device.Serial is { } serial)
        {
            Without(_devicesBySerial, serial, device.Id);
        }

        if (device.ParticleId is { } particleId)
        {
            Without(_devicesByParticleId, particleId, device.Id);
        }
    }

    private static DeviceId[] With(DeviceId[]? ids, DeviceId id) =>
        ids is null ? [id] : ids.Contains(id) ? ids : [.. ids, id];

    private static void Without<TKey>(ConcurrentDictionary<TKey, DeviceId[]> index, TKey key, DeviceId id)
        where TKey : notnull
    {
        if (!index.TryGetValue(key, out var ids))
        {
            return;
        }

        DeviceId[] rest = [.. ids.Where(d => d != id)];
        if (rest.Length == 0)
        {
            index.TryRemove(key, out _);
        }
        else
        {
            index[key] = rest;
        }
    }
}
