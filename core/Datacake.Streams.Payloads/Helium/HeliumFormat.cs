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
}
