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
}
