namespace Datacake.Streams.Payloads.TheThingsStack;

/// <summary>
/// Member names of The Things Stack v3 webhook messages: the envelope parse (ingest) and the uplink decode
/// (processing) both read them from here, so the format is written down once.
/// </summary>
public static class TtsFormat
{
    public const string EndDeviceIds = "end_device_ids";

    public const string DevEui = "dev_eui";

    public const string DeviceId = "device_id";

    public const string ApplicationIds = "application_ids";

    public const string ReceivedAt = "received_at";

    public const string UplinkMessage = "uplink_message";

    public const string SessionKeyId = "session_key_id";

    public const string FCnt = "f_cnt";

    public const string FPort = "f_port";

    public const string FrmPayload = "frm_payload";

    public const string DecodedPayload = "decoded_payload";

    public const string RxMetadata = "rx_metadata";

    public const string LastBatteryPercentage = "last_battery_percentage";

    public const string Value = "value";

    public const string Attributes = "attributes";

    public const string VersionIds = "version_ids";

    public const string NetworkIds = "network_ids";

    public const string GatewayIds = "gateway_ids";

    /// <summary>Paths of names (tenant, application, device, gateway) removed before the message is stored: records are anonymous.</summary>
    public static readonly string[] RedactedPaths =
    [
        $"$.{EndDeviceIds}.{DeviceId}",
        $"$.{EndDeviceIds}.{ApplicationIds}",
        $"$.{UplinkMessage}.{Attributes}",
        $"$.{UplinkMessage}.{VersionIds}",
        $"$.{UplinkMessage}.{NetworkIds}",
        $"$.{UplinkMessage}.{RxMetadata}[].{GatewayIds}",
    ];
}
