using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Datacake.Streams.Ingest.Mqtt.Wire;

/// <summary>
/// The packets the broker sends, written straight into the connection's output: CONNACK, the publish acknowledgements
/// (PUBACK, PUBREC, PUBCOMP), SUBACK, UNSUBACK, PINGRESP and MQTT 5's DISCONNECT. Reason codes are MQTT 5's; on 3.1.1
/// a CONNACK carries the matching return code and the others carry none.
/// </summary>
internal static class MqttReplies
{
    public static void ConnAck(IBufferWriter<byte> output, bool v5, bool sessionPresent, MqttConnectReasonCode reason, string? assignedClientId)
    {
        if (!v5)
        {
            var span = output.GetSpan(4);
            span[0] = 0x20;
            span[1] = 2;
            span[2] = (byte)(sessionPresent ? 1 : 0);
            span[3] = (byte)MqttConnectReasonCodeConverter.ToConnectReturnCode(reason);
            output.Advance(4);
            return;
        }

        // Properties: the Assigned Client Identifier (0x12) when the server picked the id (MQTT-3.2.2-16).
        var idLength = assignedClientId is null ? 0 : Encoding.UTF8.GetByteCount(assignedClientId);
        var properties = assignedClientId is null ? 0 : 1 + 2 + idLength;
        var remaining = 2 + VariableIntegerLength(properties) + properties;
        var total = 1 + VariableIntegerLength(remaining) + remaining;
        var packet = output.GetSpan(total);
        packet[0] = 0x20;
        var at = 1 + WriteVariableInteger(packet[1..], remaining);
        packet[at++] = (byte)(sessionPresent ? 1 : 0);
        packet[at++] = (byte)reason;
        at += WriteVariableInteger(packet[at..], properties);
        if (assignedClientId is not null)
        {
            packet[at++] = 0x12;
            BinaryPrimitives.WriteUInt16BigEndian(packet[at..], (ushort)idLength);
            at += 2;
            at += Encoding.UTF8.GetBytes(assignedClientId, packet[at..]);
        }

        output.Advance(at);
    }

    /// <summary>
    /// PUBACK, PUBREC or PUBCOMP (and PUBREL's shape): 4 bytes on 3.1.1 and for MQTT 5's success, which may omit the
    /// reason code (§3.4.2.1); 5 bytes with a reason code otherwise.
    /// </summary>
    public static void Acknowledge(IBufferWriter<byte> output, MqttPacketType type, ushort packetId, byte reason = 0)
    {
        var withReason = reason != 0;
        var span = output.GetSpan(5);
        span[0] = (byte)((byte)type << 4);
        span[1] = (byte)(withReason ? 3 : 2);
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], packetId);
        if (withReason)
        {
            span[4] = reason;
        }

        output.Advance(withReason ? 5 : 4);
    }

    /// <summary>SUBACK with one code per filter; MQTT 5 with an empty property block.</summary>
    public static void SubAck(IBufferWriter<byte> output, bool v5, ushort packetId, ReadOnlySpan<byte> codes) =>
        WriteCodes(output, 0x90, v5, packetId, codes);

    /// <summary>UNSUBACK: 3.1.1 has only the packet id; MQTT 5 one reason code per filter.</summary>
    public static void UnsubAck(IBufferWriter<byte> output, bool v5, ushort packetId, int filters)
    {
        if (!v5)
        {
            Acknowledge(output, MqttPacketType.UnsubAck, packetId);
            return;
        }

        Span<byte> success = filters <= 256 ? stackalloc byte[filters] : new byte[filters];
        success.Clear();
        WriteCodes(output, 0xB0, v5: true, packetId, success);
    }

    public static void PingResp(IBufferWriter<byte> output)
    {
        var span = output.GetSpan(2);
        span[0] = 0xD0;
        span[1] = 0;
        output.Advance(2);
    }

    /// <summary>MQTT 5 only: the server tells why it closes (3.1.1 has no server DISCONNECT; the connection just closes).</summary>
    public static void Disconnect(IBufferWriter<byte> output, MqttDisconnectReasonCode reason)
    {
        var span = output.GetSpan(4);
        span[0] = 0xE0;
        span[1] = 2;
        span[2] = (byte)reason;
        span[3] = 0;
        output.Advance(4);
    }

    private static void WriteCodes(IBufferWriter<byte> output, byte first, bool v5, ushort packetId, ReadOnlySpan<byte> codes)
    {
        var remaining = 2 + (v5 ? 1 : 0) + codes.Length;
        var total = 1 + VariableIntegerLength(remaining) + remaining;
        var span = output.GetSpan(total);
        span[0] = first;
        var at = 1 + WriteVariableInteger(span[1..], remaining);
        BinaryPrimitives.WriteUInt16BigEndian(span[at..], packetId);
        at += 2;
        if (v5)
        {
            span[at++] = 0;
        }

        codes.CopyTo(span[at..]);
        output.Advance(at + codes.Length);
    }

    public static int VariableIntegerLength(int value) => value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4;

    public static int WriteVariableInteger(Span<byte> destination, int value)
    {
        var at = 0;
        do
        {
            var digit = (byte)(value % 128);
            value /= 128;
            destination[at++] = value > 0 ? (byte)(digit | 0x80) : digit;
        }
        while (value > 0);
        return at;
    }
}
