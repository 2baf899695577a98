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

    public const string TenantId = "tenantId";

    public const string TenantName = "tenantName";

    public const string ApplicationId = "applicationId";

    public const string ApplicationName = "applicationName";

    public const string DeviceProfileId = "deviceProfileId";

    public const string DeviceProfileName = "deviceProfileName";

    public const string DeviceName = "deviceName";

    public const string Tags = "tags";

    public const string GatewayId = "gatewayId";

    public const string Metadata = "metadata";

    /// <summary>Paths of names (tenant, application, device, gateway) removed before the message is stored: records are anonymous.</summary>
    public static readonly string[] RedactedPaths =
    [
        $"$.{DeviceInfo}.{TenantId}",
        $"$.{DeviceInfo}.{TenantName}",
        $"$.{DeviceInfo}.{ApplicationId}",
        $"$.{DeviceInfo}.{ApplicationName}",
        $"$.{DeviceInfo}.{DeviceProfileId}",
        $"$.{DeviceInfo}.{DeviceProfileName}",
        $"$.{DeviceInfo}.{DeviceName}",
        $"$.{DeviceInfo}.{Tags}",
        $"$.{RxInfo}[].{GatewayId}",
        $"$.{RxInfo}[].{Metadata}",
    ];
}
