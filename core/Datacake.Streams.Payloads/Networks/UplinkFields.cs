namespace Datacake.Streams.Payloads.Networks;

/// <summary>
/// The one form in which a network server's uplink is stored (PayloadKind UPLINK_FIELDS): a flat JSON object of only
/// what processing needs, the same member names for every network. Ingest writes it from an allow-list per network
/// (<see cref="RecordPayload"/>); everything else in the sender's body (locations, names, tenant and gateway ids,
/// network settings) is never written, so it never reaches the log, the backups or InfluxDB.
/// </summary>
/// <remarks>
/// Times are not here: the network server's time is the record's device time and ingest's receive time its received
/// time (the envelope holds both). Members absent in the body stay absent, so a record decodes to the same points as
/// the sender's message did (older UPLINK_JSON records still decode that way, by <see cref="NetworkUplink"/>).
/// </remarks>
public static class UplinkFields
{
    /// <summary>The binding key ingest routed by: the canonical DevEUI (16 lower-case hex digits) or the Particle device id.</summary>
    public const string Device = "device";

    /// <summary>LoRaWAN FPort, 0-255.</summary>
    public const string Port = "port";

    /// <summary>LoRaWAN uplink frame counter (32 bits).</summary>
    public const string FrameCounter = "fcnt";

    /// <summary>The device's bytes (base64 as the network sent them), for the device's decoder.</summary>
    public const string Bytes = "bytes";

    /// <summary>The object a network-side codec made of the bytes (TTS decoded_payload, ChirpStack object, Helium decoded.payload): measurements.</summary>
    public const string Decoded = "decoded";

    /// <summary>The text a Particle device published (a number or a JSON object).</summary>
    public const string Data = "data";

    /// <summary>How many gateways (hotspots) received the uplink.</summary>
    public const string Gateways = "gateways";

    /// <summary>RSSI of the best gateway (the highest RSSI), dBm.</summary>
    public const string Rssi = "rssi";

    /// <summary>SNR at that gateway, dB.</summary>
    public const string Snr = "snr";

    /// <summary>Battery level the network reported (TTS last_battery_percentage, ChirpStack status batteryLevel).</summary>
    public const string Battery = "battery";

    /// <summary>Link margin of a ChirpStack status event, dB.</summary>
    public const string Margin = "margin";

    /// <summary>Every member a stored uplink may have: the allow-list, for tests and documentation.</summary>
    public static readonly IReadOnlyList<string> Members =
        [Device, Port, FrameCounter, Bytes, Decoded, Data, Gateways, Rssi, Snr, Battery, Margin];
}
