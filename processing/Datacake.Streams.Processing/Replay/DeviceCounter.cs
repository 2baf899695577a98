using Datacake.Streams.Ids;

using Datacake.Streams.Processing.Dedup;

namespace Datacake.Streams.Processing.Replay;

/// <summary>One device's last accepted LoRaWAN session and 32-bit frame counter.</summary>
internal sealed class DeviceCounter(DeviceId device) : LruNode
{
    public DeviceId Device { get; } = device;

    /// <summary>Hash of the session of <see cref="Counter"/>; 0 when the source gives none.</summary>
    public ulong Session { get; set; }

    /// <summary>Hash of the session before it: a record of that session again is a replay, not a new join.</summary>
    public ulong PreviousSession { get; set; }

    public uint Counter { get; set; }

    public bool HasCounter { get; set; }
}
