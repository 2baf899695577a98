using Datacake.Streams.Payloads.DeadLetters;
using Datacake.Streams.Ids;
using Datacake.Streams.Records;

namespace Datacake.Streams.Api.DeadLetters;

/// <summary>
/// What the owner of a device sees of one of its dead letters: why, when, and (once the record had passed
/// authorization) what it carried. Never the credential fingerprint, the adapter signature, the signing key id or the
/// log position: those describe the platform, not the device's data.
/// </summary>
public sealed record DeadLetterEntry(
    string Reason,
    string Detail,
    DateTimeOffset RejectedAt,
    DateTimeOffset? ReceivedAt,
    string? Source,
    byte[]? Payload,
    int? PayloadSize)
{
    /// <summary>Fixed bytes of one entry besides its strings and payload: the object, its references, boxed times.</summary>
    internal const int FixedBytes = 160;

    /// <summary>True when <see cref="Payload"/> is the first bytes of a longer payload of <see cref="PayloadSize"/> bytes.</summary>
    public bool PayloadTruncated => Payload is not null && PayloadSize > Payload.Length;

    /// <summary>What this entry holds in memory, for the index's byte cap (strings are UTF-16).</summary>
    internal long Bytes => FixedBytes + (Detail.Length * 2L) + (Payload?.Length ?? 0);

    /// <summary>
    /// The entry of a dead letter keyed <paramref name="key"/>; false when the key is no device id (nobody could read it).
    /// The envelope's receive time and source are shown only when it decodes and names the same device as the key; its
    /// payload only for <see cref="ShowsPayload"/> reasons, cut at <paramref name="maxPayloadBytes"/>.
    /// </summary>
    public static bool TryCreate(ReadOnlySpan<byte> key, DeadLetterRecord letter, int maxPayloadBytes, out DeviceId device, out DeadLetterEntry? entry)
    {
        ArgumentNullException.ThrowIfNull(letter);
        entry = null;
        device = default;
        if (key.Length != DeviceId.ByteLength)
        {
            return false;
        }

        device = DeviceId.FromBytes(key);
        DateTimeOffset? receivedAt = null;
        string? source = null;
        byte[]? payload = null;
        int? payloadSize = null;
        if (RawRecordCodec.TryDecode(letter.Original, out var raw, out _) && raw.DeviceId == device)
        {
            receivedAt = raw.ReceivedAt;
            source = SourceName(raw.Source);
            if (ShowsPayload(letter.Reason))
            {
                payloadSize = raw.Payload.Length;
                payload = raw.Payload.Span[..Math.Min(raw.Payload.Length, maxPayloadBytes)].ToArray();
            }
        }

        entry = new DeadLetterEntry(letter.Reason.Code(), letter.Detail, letter.RejectedAt, receivedAt, source, payload, payloadSize);
        return true;
    }

    /// <summary>
    /// Reasons given after the record's credential was found allowed to write the device: its payload is then the
    /// device's own data. Before that (bad envelope or signature, unknown or unauthorized credential) the bytes came
    /// from whoever sent them, so the owner sees the reason only. A reason added later shows no payload until listed.
    /// </summary>
    public static bool ShowsPayload(RejectReason reason) => reason is RejectReason.Replayed or RejectReason.TooOld or RejectReason.TooFarInFuture
        or RejectReason.DecodeFailed or RejectReason.RejectedByStore or RejectReason.DecoderSuspended;

    /// <summary>The adapter's name as the API spells webhook kinds.</summary>
    public static string SourceName(SourceKind kind) => kind switch
    {
        SourceKind.Http => "http",
        SourceKind.Mqtt => "mqtt",
        SourceKind.MqttBridge => "mqtt_bridge",
        SourceKind.Tts => "tts",
        SourceKind.ChirpStack => "chirpstack",
        SourceKind.Helium => "helium",
        SourceKind.Particle => "particle",
        _ => "unspecified",
    };
}
