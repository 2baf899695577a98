using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;

namespace Datacake.Streams.Records;

/// <summary>
/// A raw anonymous record: one message of one device as an adapter received it. Carries no workspace, no name and
/// never a token, only <see cref="Credential"/>, the SHA-256 of the token presented (see raw_record.proto).
/// </summary>
/// <remarks>A value type: adapters build one per message on the stack and encode it without allocating.</remarks>
public readonly record struct RawRecord
{
    public const uint CurrentVersion = 1;

    public uint Version { get; init; }

    public DeviceId DeviceId { get; init; }

    public SourceKind Source { get; init; }

    /// <summary>The adapter's receive time in Unix nanoseconds.</summary>
    public long ReceivedAtUnixNs { get; init; }

    /// <summary>The device's or network server's time for the message, when it gave one.</summary>
    public long? DeviceTimeUnixNs { get; init; }

    private readonly string? _messageId;
    private readonly ReadOnlyMemory<byte> _messageIdUtf8;
    private readonly bool _hasMessageIdUtf8;

    /// <summary>The source's natural dedup key (see raw_record.proto); null when the source has none.</summary>
    /// <remarks>
    /// A decoded record holds it as <see cref="MessageIdUtf8"/> and makes the string on each read: the processing
    /// pipeline only hashes it (from the UTF-8 bytes), and a string per record was 56 B of its garbage at 500k/s.
    /// </remarks>
    public string? MessageId
    {
        get => _messageId ?? (_hasMessageIdUtf8 ? Encoding.UTF8.GetString(_messageIdUtf8.Span) : null);
        init
        {
            _messageId = value;
            _messageIdUtf8 = default;
            _hasMessageIdUtf8 = false;
        }
    }

    /// <summary>The message id's UTF-8 bytes when the record was decoded (valid UTF-8, a slice of the encoded record); see <see cref="HasMessageId"/>.</summary>
    public ReadOnlyMemory<byte> MessageIdUtf8
    {
        get => _messageIdUtf8;
        internal init
        {
            _messageIdUtf8 = value;
            _hasMessageIdUtf8 = true;
            _messageId = null;
        }
    }

    /// <summary>True when <see cref="MessageId"/> is not null; tells so without making the string.</summary>
    public bool HasMessageId => _messageId is not null || _hasMessageIdUtf8;

    /// <summary>True when the message id is held as <see cref="MessageIdUtf8"/> rather than as a string.</summary>
    public bool IsMessageIdUtf8 => _messageId is null && _hasMessageIdUtf8;

    public uint? FrameCounter { get; init; }

    public string? Session { get; init; }

    public uint? Port { get; init; }

    public PayloadKind PayloadKind { get; init; }

    public ReadOnlyMemory<byte> Payload { get; init; }

    public TokenHash Credential { get; init; }

    public CredentialKind CredentialKind { get; init; }

    /// <summary>Standard Webhooks <c>webhook-id</c>, for the replay guard.</summary>
    public string? WebhookMessageId { get; init; }

    /// <summary>The opaque id of the webhook the record arrived through.</summary>
    public string? RouteId { get; init; }

    public uint SigningKeyId { get; init; }

    /// <summary>HMAC-SHA256 over the encoded bytes before the signature field; empty until signed.</summary>
    public ReadOnlyMemory<byte> Signature { get; init; }

    /// <summary>Set by decoding: how many leading bytes the signature covers.</summary>
    public int SignedLength { get; init; }

    public DateTimeOffset ReceivedAt => DateTimeOffset.UnixEpoch.AddTicks(ReceivedAtUnixNs / 100);
}
