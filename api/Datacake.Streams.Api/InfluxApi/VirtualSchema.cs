using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.InfluxApi.Language;
using Datacake.Streams.InfluxApi;

namespace Datacake.Streams.Api.InfluxApi;

/// <summary>
/// What InfluxDB clients see (fixed with the line-protocol writer, which maps back the same way): one database
/// (<see cref="InfluxApiOptions.Database"/>), one measurement <see cref="Measurement"/>, tags <c>device</c> (the
/// device's NAME), <c>device_id</c> and <c>workspace_id</c>, fields as the devices have them. Stored, every device is
/// its own measurement tagged by id only (StorageLayout): names never reach InfluxDB.
/// </summary>
public static class VirtualSchema
{
    public const string Measurement = InfluxApiSchema.Measurement;
    public const string DeviceTag = InfluxApiSchema.DeviceTag;
    public const string DeviceIdTag = InfluxApiSchema.DeviceIdTag;
    public const string WorkspaceTag = InfluxApiSchema.WorkspaceTag;

    /// <summary>In InfluxDB's order (sorted), as SHOW TAG KEYS and GROUP BY * list them.</summary>
    public static readonly IReadOnlyList<string> Tags = [DeviceTag, DeviceIdTag, WorkspaceTag];

    public static bool IsTag(string name) => name is DeviceTag or DeviceIdTag or WorkspaceTag;

    /// <summary>The value of a tag for a device; a tag key the schema does not have is empty, as in InfluxDB.</summary>
    public static string TagValue(ReadableDevice device, string tag) => tag switch
    {
        DeviceTag => device.Name,
        DeviceIdTag => device.Id.ToString(),
        WorkspaceTag => device.WorkspaceId,
        _ => string.Empty,
    };

    /// <summary>Whether FROM reaches the measurement (no FROM, its name, or a regex matching it).</summary>
    public static bool Selects(IReadOnlyList<MeasurementSource> sources) =>
        sources.Count == 0 || sources.Any(s => s.Name == Measurement || (s.Regex is { } regex && InfluxRegex.IsMatch(regex, Measurement)));
}
