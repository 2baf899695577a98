namespace Datacake.Streams.Ingest.Mqtt.Wire;

/// <summary>
/// A PUBLISH read in place (§3.3): the flags of its first byte, the topic's UTF-8 bytes, the packet id (QoS 1 and 2)
/// and where the payload starts in the body; MQTT 5's properties are skipped, and a Topic Alias is refused because the
/// broker offers none (Topic Alias Maximum 0 by default, MQTT-3.2.2-17).
/// </summary>
internal readonly ref struct PublishPacket
{
    public int Qos { get; init; }

    public bool Duplicate { get; init; }

    public ushort PacketId { get; init; }

    public ReadOnlySpan<byte> Topic { get; init; }

    /// <summary>Offset of the payload in the packet's body; the payload runs to the body's end.</summary>
    public int PayloadOffset { get; init; }

    /// <summary>Parses the body of a PUBLISH; on failure <paramref name="reason"/> is the MQTT 5 reason to close with.</summary>
    public static bool TryParse(byte header, ReadOnlySpan<byte> body, bool v5, out PublishPacket packet, out byte reason)
    {
        packet = default;
        var qos = (header >> 1) & 0x03;
        var duplicate = (header & 0x08) != 0;

        // QoS 3 does not exist; DUP is 0 for QoS 0 (MQTT-3.3.1-2, -4): malformed.
        reason = 0x81;
        if (qos == 3 || (qos == 0 && duplicate))
        {
            return false;
        }

        var reader = new MqttReader(body);
        if (!reader.TryReadUtf8(out var topic))
        {
            return false;
        }

        ushort packetId = 0;
        if (qos > 0 && (!reader.TryReadUInt16(out packetId) || packetId == 0))
        {
            return false;
        }

        if (v5)
        {
            if (!reader.TryReadProperties(out var properties))
            {
                return false;
            }

            var props = new MqttReader(properties);
            while (props.Remaining > 0)
            {
                if (!props.TryReadProperty(out var id, out _, out _))
                {
                    return false;
                }

                if (id == 0x23)
                {
                    // Topic Alias invalid (0x94): none was offered.
                    reason = 0x94;
                    return false;
                }
            }
        }

        packet = new PublishPacket { Qos = qos, Duplicate = duplicate, PacketId = packetId, Topic = topic, PayloadOffset = reader.Position };
        reason = 0;
        return true;
    }
}
