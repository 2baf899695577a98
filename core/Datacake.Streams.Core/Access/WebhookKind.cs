namespace Datacake.Streams.Access;

/// <summary>The sender of a webhook, which fixes its payload shape and how devices are identified in it.</summary>
public enum WebhookKind
{
    Tts,
    ChirpStack,
    Helium,
    Particle,
}
