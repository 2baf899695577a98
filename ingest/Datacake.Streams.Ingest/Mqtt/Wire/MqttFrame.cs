using System.Buffers;

namespace Datacake.Streams.Ingest.Mqtt.Wire;

/// <summary>The control packet types (MQTT 3.1.1 §2.2.1, MQTT 5 §2.1.2): the high nibble of a packet's first byte.</summary>
internal enum MqttPacketType : byte
{
    Connect = 1,
    ConnAck = 2,
    Publish = 3,
    PubAck = 4,
    PubRec = 5,
    PubRel = 6,
    PubComp = 7,
    Subscribe = 8,
    SubAck = 9,
    Unsubscribe = 10,
    UnsubAck = 11,
    PingReq = 12,
    PingResp = 13,
    Disconnect = 14,
    Auth = 15,
}

/// <summary>What <see cref="MqttFrame.TryRead"/> found at the start of the buffer.</summary>
internal enum FrameStatus
{
    /// <summary>A whole packet: its first byte and body were taken off the buffer.</summary>
    Complete,

    /// <summary>The packet has not fully arrived: read more.</summary>
    Incomplete,

    /// <summary>The remaining length is not a valid variable byte integer: close the connection.</summary>
    Malformed,

    /// <summary>The packet announces more bytes than the limit: refused before its body is buffered.</summary>
    TooLarge,
}

/// <summary>
/// Cuts whole packets off the front of what a connection received: the fixed header (first byte, then the remaining
/// length as a variable byte integer of 1 to 4 bytes) and the body it announces. The length is judged against the
/// limit as soon as it is read, so a client announcing a huge packet is refused without a byte of it held in memory.
/// </summary>
internal static class MqttFrame
{
    /// <summary>The largest remaining length the encoding can carry (268,435,455).</summary>
    public const int MaxRemainingLength = 0x0FFF_FFFF;

    public static FrameStatus TryRead(ref ReadOnlySequence<byte> buffer, int maxRemainingLength, out byte header, out ReadOnlySequence<byte> body)
    {
        body = default;
        var status = TryReadFixedHeader(buffer, out header, out var length, out var used);
        if (status != FrameStatus.Complete)
        {
            return status;
        }

        if (length > maxRemainingLength)
        {
            return FrameStatus.TooLarge;
        }

        if (buffer.Length < used + length)
        {
            return FrameStatus.Incomplete;
        }

        body = buffer.Slice(used, length);
        buffer = buffer.Slice(used + length);
        return FrameStatus.Complete;
    }

    /// <summary>
    /// Reads only the fixed header: the first byte, the remaining length and how many bytes the two take. Complete
    /// means the header is whole, not the packet: for a caller that skips an oversized packet as it streams past.
    /// </summary>
    public static FrameStatus TryReadFixedHeader(in ReadOnlySequence<byte> buffer, out byte header, out int remainingLength, out int headerLength)
    {
        header = 0;
        remainingLength = 0;
        headerLength = 0;
        Span<byte> prefix = stackalloc byte[5];
        var available = buffer.FirstSpan.Length >= 5 ? buffer.FirstSpan[..5] : CopyPrefix(buffer, prefix);
        if (available.Length < 2)
        {
            return FrameStatus.Incomplete;
        }

        var length = 0;
        var used = 1;
        for (var shift = 0; ; shift += 7)
        {
            if (used >= available.Length)
            {
                return used == 5 ? FrameStatus.Malformed : FrameStatus.Incomplete;
            }

            var digit = available[used++];
            length |= (digit & 0x7F) << shift;
            if ((digit & 0x80) == 0)
            {
                break;
            }

            if (used == 5)
            {
                return FrameStatus.Malformed;
            }
        }

        header = available[0];
        remainingLength = length;
        headerLength = used;
        return FrameStatus.Complete;
    }

    private static ReadOnlySpan<byte> CopyPrefix(in ReadOnlySequence<byte> buffer, Span<byte> prefix)
    {
        var count = (int)Math.Min(buffer.Length, prefix.Length);
        buffer.Slice(0, count).CopyTo(prefix);
        return prefix[..count];
    }
}
