namespace Datacake.Streams.Payloads.Helium;

/// <summary>
/// Member names of Helium Console HTTP integration uplinks: the envelope parse (ingest) and the uplink decode
/// (processing) both read them from here, so the format is written down once.
/// </summary>
public static class HeliumFormat
{
    public const string Id = "id";

    public const string Uuid = "uuid";

    public const string DevEui = "dev_eui";

    public const string Devaddr = "devaddr";

    public const string Fcnt = "fcnt";

    public const string Port = "port";

    public const string Payload = "payload";

    public const string Hotspots = "hotspots";

    public const string ReportedAt = "reported_at";

    public const string Type = "type";

    public const string Decoded = "decoded";

    public const string Name = "name";

    public const string Metadata = "metadata";

    public const string Labels = "labels";

    public const string OrganizationId = "organization_id";

    /// <summary>Paths of names (tenant, application, device, gateway) removed before the message is stored: records are anonymous.</summary>
    public static readonly string[] RedactedPaths =
    [
        $"$.{Name}",
        $"$.{Metadata}.{Labels}",
        $"$.{Metadata}.{OrganizationId}",
        $"$.{Hotspots}[].{Name}",
        $"$.{Hotspots}[].{Id}",
    ];
}
