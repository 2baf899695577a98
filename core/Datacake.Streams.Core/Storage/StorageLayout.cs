using Datacake.Streams.Ids;

namespace Datacake.Streams.Storage;

/// <summary>
/// How points sit in InfluxDB (docs/DATA-MODEL.md): <b>one measurement per device</b>, named by its id, in every
/// retention policy, each point also tagged <c>device</c> = that id.
/// </summary>
/// <remarks>
/// InfluxDB 1.x keeps field types and field keys per measurement (and shard): with one measurement shared by every
/// tenant, one device's string <c>temperature</c> made every other device's float <c>temperature</c> of that day
/// a type conflict (refused by the store), and <c>SHOW FIELD KEYS</c> listed every tenant's names (1,000 foreign
/// names took a device's <c>/last</c> from 5 ms to 121 ms). Per device, a type conflict involves only that device's
/// own values and field keys are looked up per device. The tag is redundant with the name but keeps
/// <c>GROUP BY device</c>, <c>DROP SERIES … WHERE device = …</c> and the rollups' <c>GROUP BY *</c> working unchanged
/// across measurements. Device ids are <c>dev_</c> + 26 characters of [0-9a-z]: valid measurement names and regex
/// literals without escaping.
/// </remarks>
public static class StorageLayout
{
    /// <summary>The tag every point carries: the device id.</summary>
    public const string DeviceTag = "device";

    /// <summary>InfluxQL regex matching every device measurement and nothing else (the rollups read it).</summary>
    public const string AllDevicesPattern = "/^" + DeviceId.Prefix + "/";

    /// <summary>The measurement of the data points before the per-device layout (all devices in one).</summary>
    public const string LegacyValuesMeasurement = "values";

    /// <summary>The measurement of the metadata points before the per-device layout.</summary>
    public const string LegacyMetaMeasurement = "meta";

    /// <summary>The retention policy of metadata points (radio, battery, counters); every other holds values.</summary>
    public const string MetaPolicy = "meta";

    /// <summary>
    /// What the device measurements of <paramref name="policy"/> hold, by the names the layout before used
    /// (<c>values</c> or <c>meta</c>): how backups' manifests and exports count them, summed over devices.
    /// </summary>
    public static string KindIn(string policy) => policy == MetaPolicy ? LegacyMetaMeasurement : LegacyValuesMeasurement;

    /// <summary>Whether <paramref name="measurement"/> is a device's (and not a legacy or foreign one).</summary>
    public static bool IsDeviceMeasurement(string measurement) => DeviceId.TryParse(measurement, out _);
}
