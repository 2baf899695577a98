namespace Datacake.Streams.Payloads.ChirpStack;

/// <summary>
/// Member names of ChirpStack v4 HTTP integration events (JSON marshaler): the envelope parse (ingest) and the
/// uplink decode (processing) both read them from here, so the format is written down once.
/// </summary>
public static class ChirpStackFormat
{
    public const string DeduplicationId = "deduplicationId";

    public const string Time = "time";

    public const string DeviceInfo = "deviceInfo";

    public const string DevEui = "devEui";

    public const string DevAddr = "devAddr";

    public const string FCnt = "fCnt";

    public const string FPort = "fPort";

    public const string Data = "data";

    public const string Object = "object";

    public const string RxInfo = "rxInfo";

    public const string BatteryLevel = "batteryLevel";

    public const string Margin = "margin";
}
