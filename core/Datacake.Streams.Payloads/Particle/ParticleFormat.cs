namespace Datacake.Streams.Payloads.Particle;

/// <summary>
/// Member names of Particle cloud webhook events: the envelope parse (ingest) and the uplink decode (processing)
/// both read them from here, so the format is written down once.
/// </summary>
public static class ParticleFormat
{
    public const string Event = "event";

    public const string CoreId = "coreid";

    public const string PublishedAt = "published_at";

    public const string Data = "data";
}
