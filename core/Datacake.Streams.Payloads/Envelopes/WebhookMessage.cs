namespace Datacake.Streams.Payloads.Envelopes;

/// <summary>What a parser made of a webhook body.</summary>
public enum WebhookMessageOutcome
{
    /// <summary>A message to store as one raw record.</summary>
    Record,

    /// <summary>A well-formed event the platform does not store (join, downlink acks, logs...): acknowledged, nothing appended.</summary>
    Ignored,

    /// <summary>The body is not what the sender's format promises: 400 with <see cref="WebhookMessage.ErrorPath"/>.</summary>
    Malformed,
}

/// <summary>
/// The few fields of a network server's message that routing, deduplication and replay protection need; the record's
/// payload is the body's allow-listed fields (<see cref="Networks.RecordPayload"/>). Built by the per-kind parsers, never throws out of them.
/// </summary>
public sealed record WebhookMessage
{
    public required WebhookMessageOutcome Outcome { get; init; }

    /// <summary>The DevEUI as the sender wrote it (LoRaWAN kinds).</summary>
    public string? DevEui { get; init; }

    /// <summary>The Particle device id (<c>coreid</c>).</summary>
    public string? ParticleId { get; init; }

    /// <summary>A sender-side device id that may be ours (<c>dev_…</c>), the fallback when no DevEUI routes.</summary>
    public string? DeviceIdHint { get; init; }

    public string? MessageId { get; init; }

    public uint? FrameCounter { get; init; }

    public string? Session { get; init; }

    public uint? Port { get; init; }

    /// <summary>Network server (or Particle cloud) time of the message, Unix nanoseconds.</summary>
    public long? DeviceTimeUnixNs { get; init; }

    /// <summary>The event type that was ignored (<see cref="WebhookMessageOutcome.Ignored"/>).</summary>
    public string? IgnoredEvent { get; init; }

    /// <summary>The JSON path (or form field) of the offending value (<see cref="WebhookMessageOutcome.Malformed"/>).</summary>
    public string? ErrorPath { get; init; }

    public string? ErrorDetail { get; init; }

    /// <summary>
    /// The JSON the record's allow-list is read from when it differs from the body: a Particle form post becomes the
    /// equivalent JSON object (<see cref="Networks.RecordPayload"/> then keeps only its allowed fields). Null = the body.
    /// </summary>
    public byte[]? NormalizedPayload { get; init; }

    public static WebhookMessage Malformed(string path, string detail) =>
        new() { Outcome = WebhookMessageOutcome.Malformed, ErrorPath = path, ErrorDetail = detail };

    /// <summary>
    /// An ignored event, named when its name is a short ASCII token: the name is echoed in a response header, and a
    /// sender's text with control or non-ASCII characters there would make Kestrel refuse the response (a 500).
    /// </summary>
    public static WebhookMessage Ignore(string eventType) =>
        new() { Outcome = WebhookMessageOutcome.Ignored, IgnoredEvent = IsToken(eventType) ? eventType : "unknown" };

    private static bool IsToken(string text) =>
        text.Length is > 0 and <= 32 && !text.AsSpan().ContainsAnyExcept(_tokenCharacters);

    private static readonly System.Buffers.SearchValues<char> _tokenCharacters =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.");
}
