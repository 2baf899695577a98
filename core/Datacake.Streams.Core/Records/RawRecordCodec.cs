using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;

namespace Datacake.Streams.Records;

/// <summary>
/// Protobuf wire format of <see cref="RawRecord"/> (schema: raw_record.proto), written and read by hand: encoding
/// allocates nothing, decoding never throws and slices the payload out of the input instead of copying it.
/// </summary>
public static class RawRecordCodec
{
    // Field numbers of raw_record.proto.
    private const int FVersion = 1, FDeviceId = 2, FSource = 3, FReceivedAt = 4, FDeviceTime = 5, FMessageId = 6,
        FFrameCounter = 7, FSession = 8, FPort = 9, FPayloadKind = 10, FPayload = 11, FCredential = 12,
        FCredentialKind = 13, FWebhookMessageId = 14, FSigningKeyId = 15, FSignature = 16, FRouteId = 17;

    private const int WireVarint = 0, WireFixed64 = 1, WireLengthDelimited = 2, WireFixed32 = 5;

    /// <summary>Bytes of the signature field: tag 16 (2 bytes), length (1 byte), HMAC-SHA256 (32 bytes).</summary>
    internal const int SignatureFieldLength = 3 + AdapterKeyring.SignatureLength;

    /// <summary>Encoded size of everything but the signature field.</summary>
    public static int UnsignedSize(in RawRecord r)
    {
        var size = 0;
        size += 1 + VarintSize(r.Version == 0 ? RawRecord.CurrentVersion : r.Version);
        size += 1 + 1 + DeviceId.ByteLength;
        size += r.Source == 0 ? 0 : 1 + VarintSize((uint)r.Source);
        size += 1 + 8;
        size += r.DeviceTimeUnixNs is null ? 0 : 1 + 8;
        size += r.IsMessageIdUtf8
            ? (r.MessageIdUtf8.IsEmpty ? 0 : 1 + VarintSize((uint)r.MessageIdUtf8.Length) + r.MessageIdUtf8.Length)
            : StringFieldSize(1, r.MessageId);
        size += r.FrameCounter is { } fc ? 1 + VarintSize(fc) : 0;
        size += r.Session is null ? 0 : StringFieldSize(1, r.Session, always: true);
        size += r.Port is { } port ? 1 + VarintSize(port) : 0;
        size += r.PayloadKind == 0 ? 0 : 1 + VarintSize((uint)r.PayloadKind);
        size += r.Payload.IsEmpty ? 0 : 1 + VarintSize((uint)r.Payload.Length) + r.Payload.Length;
        size += 1 + 1 + TokenHash.ByteLength;
        size += r.CredentialKind == 0 ? 0 : 1 + VarintSize((uint)r.CredentialKind);
        size += r.WebhookMessageId is null ? 0 : StringFieldSize(1, r.WebhookMessageId, always: true);
        size += r.RouteId is null ? 0 : StringFieldSize(2, r.RouteId, always: true);
        size += r.SigningKeyId == 0 ? 0 : 1 + VarintSize(r.SigningKeyId);
        return size;
    }

    /// <summary>Writes every field but the signature into <paramref name="destination"/>, exactly <see cref="UnsignedSize"/> bytes.</summary>
    internal static void WriteUnsigned(in RawRecord r, Span<byte> destination)
    {
        var w = new SpanWriter(destination);
        w.Tag(FVersion, WireVarint);
        w.Varint(r.Version == 0 ? RawRecord.CurrentVersion : r.Version);
        w.Tag(FDeviceId, WireLengthDelimited);
        w.Varint(DeviceId.ByteLength);
        r.DeviceId.WriteBytes(w.Take(DeviceId.ByteLength));
        if (r.Source != 0)
        {
            w.Tag(FSource, WireVarint);
            w.Varint((uint)r.Source);
        }

        w.Tag(FReceivedAt, WireFixed64);
        BinaryPrimitives.WriteInt64LittleEndian(w.Take(8), r.ReceivedAtUnixNs);
        if (r.DeviceTimeUnixNs is { } deviceTime)
        {
            w.Tag(FDeviceTime, WireFixed64);
            BinaryPrimitives.WriteInt64LittleEndian(w.Take(8), deviceTime);
        }

        if (r.IsMessageIdUtf8)
        {
            if (!r.MessageIdUtf8.IsEmpty)
            {
                w.Tag(FMessageId, WireLengthDelimited);
                w.Varint((uint)r.MessageIdUtf8.Length);
                r.MessageIdUtf8.Span.CopyTo(w.Take(r.MessageIdUtf8.Length));
            }
        }
        else if (!string.IsNullOrEmpty(r.MessageId))
        {
            w.String(FMessageId, r.MessageId);
        }

        if (r.FrameCounter is { } frameCounter)
        {
            w.Tag(FFrameCounter, WireVarint);
            w.Varint(frameCounter);
        }

        if (r.Session is not null)
        {
            w.String(FSession, r.Session);
        }

        if (r.Port is { } port)
        {
            w.Tag(FPort, WireVarint);
            w.Varint(port);
        }

        if (r.PayloadKind != 0)
        {
            w.Tag(FPayloadKind, WireVarint);
            w.Varint((uint)r.PayloadKind);
        }

        if (!r.Payload.IsEmpty)
        {
            w.Tag(FPayload, WireLengthDelimited);
            w.Varint((uint)r.Payload.Length);
            r.Payload.Span.CopyTo(w.Take(r.Payload.Length));
        }

        w.Tag(FCredential, WireLengthDelimited);
        w.Varint(TokenHash.ByteLength);
        r.Credential.WriteBytes(w.Take(TokenHash.ByteLength));
        if (r.CredentialKind != 0)
        {
            w.Tag(FCredentialKind, WireVarint);
            w.Varint((uint)r.CredentialKind);
        }

        if (r.WebhookMessageId is not null)
        {
            w.String(FWebhookMessageId, r.WebhookMessageId);
        }

        if (r.RouteId is not null)
        {
            w.String(FRouteId, r.RouteId);
        }

        if (r.SigningKeyId != 0)
        {
            w.Tag(FSigningKeyId, WireVarint);
            w.Varint(r.SigningKeyId);
        }
    }

    /// <summary>Reads a record; on any malformation returns false with the reason, never throws.</summary>
    public static bool TryDecode(ReadOnlyMemory<byte> bytes, out RawRecord record, out EnvelopeError error)
    {
        record = default;
        var span = bytes.Span;
        if (span.IsEmpty)
        {
            error = EnvelopeError.Empty;
            return false;
        }

        uint version = 0;
        DeviceId? device = null;
        TokenHash credential = default;
        bool hasCredential = false;
        long receivedAt = 0;
        long? deviceTime = null;
        string? session = null, webhookMessageId = null, routeId = null;
        ReadOnlyMemory<byte> messageId = default;
        var hasMessageId = false;
        uint? frameCounter = null, port = null;
        uint source = 0, payloadKind = 0, credentialKind = 0, signingKeyId = 0;
        ReadOnlyMemory<byte> payload = default, signature = default;
        var signedLength = -1;

        var position = 0;
        while (position < span.Length)
        {
            if (signedLength >= 0)
            {
                error = EnvelopeError.SignatureNotLast;
                return false;
            }

            var fieldStart = position;
            if (!TryReadVarint(span, ref position, out var tag))
            {
                error = EnvelopeError.MalformedVarint;
                return false;
            }

            var field = (int)(tag >> 3);
            var wire = (int)(tag & 7);
            ulong number = 0;
            ReadOnlyMemory<byte> slice = default;
            switch (wire)
            {
                case WireVarint:
                    if (!TryReadVarint(span, ref position, out number))
                    {
                        error = EnvelopeError.MalformedVarint;
                        return false;
                    }

                    break;
                case WireFixed64:
                    if (span.Length - position < 8)
                    {
                        error = EnvelopeError.Truncated;
                        return false;
                    }

                    number = BinaryPrimitives.ReadUInt64LittleEndian(span[position..]);
                    position += 8;
                    break;
                case WireFixed32:
                    if (span.Length - position < 4)
                    {
                        error = EnvelopeError.Truncated;
                        return false;
                    }

                    number = BinaryPrimitives.ReadUInt32LittleEndian(span[position..]);
                    position += 4;
                    break;
                case WireLengthDelimited:
                    if (!TryReadVarint(span, ref position, out var length))
                    {
                        error = EnvelopeError.MalformedVarint;
                        return false;
                    }

                    if (length > (ulong)(span.Length - position))
                    {
                        error = EnvelopeError.Truncated;
                        return false;
                    }

                    slice = bytes.Slice(position, (int)length);
                    position += (int)length;
                    break;
                default:
                    error = EnvelopeError.UnsupportedWireType;
                    return false;
            }

            // A known field with an unexpected wire type is malformed; unknown fields are skipped (forward compatible).
            var expected = field switch
            {
                FVersion or FSource or FFrameCounter or FPort or FPayloadKind or FCredentialKind or FSigningKeyId => WireVarint,
                FReceivedAt or FDeviceTime => WireFixed64,
                FDeviceId or FMessageId or FSession or FPayload or FCredential or FWebhookMessageId or FSignature or FRouteId => WireLengthDelimited,
                _ => wire,
            };
            if (expected != wire)
            {
                error = EnvelopeError.UnsupportedWireType;
                return false;
            }

            switch (field)
            {
                case FVersion:
                    version = (uint)Math.Min(number, uint.MaxValue);
                    break;
                case FDeviceId:
                    if (slice.Length != DeviceId.ByteLength)
                    {
                        error = EnvelopeError.BadDeviceId;
                        return false;
                    }

                    device = DeviceId.FromBytes(slice.Span);
                    break;
                case FSource:
                    source = (uint)Math.Min(number, uint.MaxValue);
                    break;
                case FReceivedAt:
                    receivedAt = (long)number;
                    break;
                case FDeviceTime:
                    deviceTime = (long)number;
                    break;
                case FFrameCounter:
                    if (number > uint.MaxValue)
                    {
                        error = EnvelopeError.BadLength;
                        return false;
                    }

                    frameCounter = (uint)number;
                    break;
                case FPort:
                    port = (uint)Math.Min(number, uint.MaxValue);
                    break;
                case FPayloadKind:
                    payloadKind = (uint)Math.Min(number, uint.MaxValue);
                    break;
                case FCredentialKind:
                    credentialKind = (uint)Math.Min(number, uint.MaxValue);
                    break;
                case FSigningKeyId:
                    signingKeyId = (uint)Math.Min(number, uint.MaxValue);
                    break;
                case FPayload:
                    payload = slice;
                    break;
                case FCredential:
                    if (slice.Length != TokenHash.ByteLength)
                    {
                        error = EnvelopeError.BadFingerprint;
                        return false;
                    }

                    credential = TokenHash.FromBytes(slice.Span);
                    hasCredential = true;
                    break;
                case FSignature:
                    signature = slice;
                    signedLength = fieldStart;
                    break;
                case FMessageId:
                    // Kept as UTF-8 (checked as strictly as the strings below): a string only when someone asks.
                    if (!Utf8.IsValid(slice.Span))
                    {
                        error = EnvelopeError.BadText;
                        return false;
                    }

                    messageId = slice;
                    hasMessageId = true;
                    break;
                case FSession or FWebhookMessageId or FRouteId:
                    if (!TryText(slice.Span, out var text))
                    {
                        error = EnvelopeError.BadText;
                        return false;
                    }

                    switch (field)
                    {
                        case FSession: session = text; break;
                        case FWebhookMessageId: webhookMessageId = text; break;
                        default: routeId = text; break;
                    }

                    break;
            }
        }

        if (version == 0 || version > RawRecord.CurrentVersion)
        {
            error = EnvelopeError.UnsupportedVersion;
            return false;
        }

        if (device is null)
        {
            error = EnvelopeError.MissingDeviceId;
            return false;
        }

        if (!hasCredential)
        {
            error = EnvelopeError.BadFingerprint;
            return false;
        }

        record = new RawRecord
        {
            Version = version,
            DeviceId = device.Value,
            Source = (SourceKind)source,
            ReceivedAtUnixNs = receivedAt,
            DeviceTimeUnixNs = deviceTime,
            FrameCounter = frameCounter,
            Session = session,
            Port = port,
            MessageIdUtf8 = messageId,
            PayloadKind = (PayloadKind)payloadKind,
            Payload = payload,
            Credential = credential,
            CredentialKind = (CredentialKind)credentialKind,
            WebhookMessageId = webhookMessageId,
            RouteId = routeId,
            SigningKeyId = signingKeyId,
            Signature = signature,
            SignedLength = signedLength < 0 ? bytes.Length : signedLength,
        };
        if (!hasMessageId)
        {
            // The initializer marked the (empty) bytes as present; a record without the field has no message id.
            record = record with { MessageId = null };
        }

        error = EnvelopeError.None;
        return true;
    }

    private static readonly UTF8Encoding _strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static bool TryText(ReadOnlySpan<byte> utf8, out string text)
    {
        try
        {
            text = _strictUtf8.GetString(utf8);
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = string.Empty;
            return false;
        }
    }

    private static bool TryReadVarint(ReadOnlySpan<byte> span, ref int position, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (position >= span.Length)
            {
                return false;
            }

            var b = span[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return true;
            }
        }

        return false;
    }

    private static int StringFieldSize(int tagSize, string? text, bool always = false)
    {
        if (text is null || (!always && text.Length == 0))
        {
            return 0;
        }

        var length = Encoding.UTF8.GetByteCount(text);
        return tagSize + VarintSize((uint)length) + length;
    }

    internal static int VarintSize(uint value) => value switch
    {
        < 1u << 7 => 1,
        < 1u << 14 => 2,
        < 1u << 21 => 3,
        < 1u << 28 => 4,
        _ => 5,
    };

    private ref struct SpanWriter(Span<byte> destination)
    {
        private readonly Span<byte> _destination = destination;
        private int _position;

        public void Tag(int field, int wire) => Varint((uint)((field << 3) | wire));

        public void Varint(uint value)
        {
            while (value >= 0x80)
            {
                _destination[_position++] = (byte)(value | 0x80);
                value >>= 7;
            }

            _destination[_position++] = (byte)value;
        }

        public Span<byte> Take(int length)
        {
            var span = _destination.Slice(_position, length);
            _position += length;
            return span;
        }

        public void String(int field, string text)
        {
            Tag(field, WireLengthDelimited);
            var length = Encoding.UTF8.GetByteCount(text);
            Varint((uint)length);
            Encoding.UTF8.GetBytes(text, Take(length));
        }
    }
}
