using System.Text;

namespace Datacake.Streams.LoadGen.Mqtt;

/// <summary>
/// One PUBLISH packet encoded once for a topic, a QoS and a payload of fixed length: a sender copies it and changes
/// only the packet id and the payload bytes, so no packet is encoded per message. MQTT 5 carries an empty property
/// list; QoS 0 has no packet id.
/// </summary>
internal sealed class PublishTemplate
{
    public PublishTemplate(MqttVersion version, int qos, string topic, ReadOnlySpan<byte> payload)
    {
        if (qos is not (0 or 1))
        {
            throw new ArgumentOutOfRangeException(nameof(qos), qos, "QoS 0 or 1");
        }

        var topicBytes = Encoding.UTF8.GetBytes(topic);
        var remaining = 2 + topicBytes.Length + (qos > 0 ? 2 : 0) + (version == MqttVersion.V500 ? 1 : 0) + payload.Length;
        var packet = new byte[1 + MqttCodec.VariableIntSize(remaining) + remaining];
        packet[0] = (byte)((MqttCodec.Publish << 4) | (qos << 1));
        var at = 1 + MqttCodec.WriteVariableInt(packet.AsSpan(1), remaining);
        packet[at++] = (byte)(topicBytes.Length >> 8);
        packet[at++] = (byte)topicBytes.Length;
        topicBytes.CopyTo(packet, at);
        at += topicBytes.Length;
        PacketIdOffset = qos > 0 ? at : -1;
        at += qos > 0 ? 2 : 0;
        if (version == MqttVersion.V500)
        {
            packet[at++] = 0; // no properties
        }

        PayloadOffset = at;
        payload.CopyTo(packet.AsSpan(at));
        Bytes = packet;
    }

    /// <summary>The whole packet with packet id 0 (QoS 1) and the payload it was made with.</summary>
    public byte[] Bytes { get; }

    public int Length => Bytes.Length;

    /// <summary>Where the two bytes of the packet id start; -1 at QoS 0.</summary>
    public int PacketIdOffset { get; }

    public int PayloadOffset { get; }

    /// <summary>Fills <paramref name="destination"/> with <paramref name="count"/> copies of the packet, back to back: a batch buffer.</summary>
    public void Fill(Span<byte> destination, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Bytes.CopyTo(destination[(i * Length)..]);
        }
    }

    /// <summary>Sets the packet id of the copy that starts at <paramref name="packet"/>.</summary>
    public void SetPacketId(Span<byte> packet, ushort packetId)
    {
        packet[PacketIdOffset] = (byte)(packetId >> 8);
        packet[PacketIdOffset + 1] = (byte)packetId;
    }

    /// <summary>The payload bytes of the copy that starts at <paramref name="packet"/>.</summary>
    public Span<byte> Payload(Span<byte> packet) => packet[PayloadOffset..Length];
}
