using System.Text;
using MQTTnet.Formatter;

namespace Datacake.Streams.Ingest.Mqtt.Wire;

/// <summary>What a CONNECT packet asked for, once per connection (so a class; the hot path is PUBLISH, not this).</summary>
internal sealed class ConnectRequest
{
    public MqttProtocolVersion Version { get; private init; }

    public bool IsV5 => Version == MqttProtocolVersion.V500;

    public bool CleanStart { get; private init; }

    /// <summary>Seconds; 0 turns the keep-alive off (MQTT-3.1.2-23).</summary>
    public ushort KeepAliveSeconds { get; private init; }

    /// <summary>
    /// Seconds the session outlives the connection: MQTT 5's Session Expiry Interval (0 by default); on 3.1.1 none
    /// with clean session, for ever (<see cref="uint.MaxValue"/>) without it.
    /// </summary>
    public uint SessionExpirySeconds { get; private init; }

    public string ClientId { get; private init; } = string.Empty;

    public string? UserName { get; private init; }

    public string? Password { get; private init; }

    /// <summary>MQTT 5 enhanced authentication was asked for (Authentication Method): not offered, CONNACK 0x8C.</summary>
    public bool AsksEnhancedAuthentication { get; private init; }

    public string? WillTopic { get; private init; }

    public byte[]? WillPayload { get; private init; }

    /// <summary>What went wrong with a CONNECT that could not be taken, as an MQTT 5 reason code.</summary>
    public enum Refusal : byte
    {
        None = 0,
        MalformedPacket = 0x81,
        ProtocolError = 0x82,
        UnsupportedProtocolVersion = 0x84,
    }

    /// <summary>Parses a CONNECT body (§3.1 of 3.1.1 and 5; 3.1's "MQIsdp" level 3 too, as MQTTnet took it).</summary>
    public static Refusal TryParse(ReadOnlySpan<byte> body, out ConnectRequest request)
    {
        request = Empty;
        var reader = new MqttReader(body);
        if (!reader.TryReadBinary(out var name) || !reader.TryReadByte(out var level))
        {
            return Refusal.MalformedPacket;
        }

        MqttProtocolVersion version;
        if (name.SequenceEqual("MQTT"u8) && level == 4)
        {
            version = MqttProtocolVersion.V311;
        }
        else if (name.SequenceEqual("MQTT"u8) && level == 5)
        {
            version = MqttProtocolVersion.V500;
        }
        else if (name.SequenceEqual("MQIsdp"u8) && level == 3)
        {
            version = MqttProtocolVersion.V310;
        }
        else
        {
            return name.SequenceEqual("MQTT"u8) || name.SequenceEqual("MQIsdp"u8) ? Refusal.UnsupportedProtocolVersion : Refusal.ProtocolError;
        }

        if (!reader.TryReadByte(out var flags) || !reader.TryReadUInt16(out var keepAlive))
        {
            return Refusal.MalformedPacket;
        }

        var hasUser = (flags & 0x80) != 0;
        var hasPassword = (flags & 0x40) != 0;
        var willQos = (flags >> 3) & 0x03;
        var hasWill = (flags & 0x04) != 0;
        var cleanStart = (flags & 0x02) != 0;

        // The reserved bit is 0; a will's QoS and retain are 0 without a will; QoS 3 does not exist (MQTT-3.1.2-3, -11, -13, -14).
        if ((flags & 0x01) != 0 || willQos == 3 || (!hasWill && (flags & 0x38) != 0))
        {
            return Refusal.MalformedPacket;
        }

        var isV5 = version == MqttProtocolVersion.V500;
        uint expiry = isV5 ? 0 : cleanStart ? 0 : uint.MaxValue;
        var enhanced = false;
        if (isV5)
        {
            if (!reader.TryReadProperties(out var properties))
            {
                return Refusal.MalformedPacket;
            }

            var props = new MqttReader(properties);
            while (props.Remaining > 0)
            {
                if (!props.TryReadProperty(out var id, out var number, out _))
                {
                    return Refusal.MalformedPacket;
                }

                if (id == 0x11)
                {
                    expiry = number;
                }
                else if (id == 0x15)
                {
                    enhanced = true;
                }
            }
        }

        if (!reader.TryReadString(out var clientId))
        {
            return Refusal.MalformedPacket;
        }

        string? willTopic = null;
        byte[]? willPayload = null;
        if (hasWill)
        {
            if (isV5 && !reader.TryReadProperties(out _))
            {
                return Refusal.MalformedPacket;
            }

            if (!reader.TryReadString(out var topic) || !reader.TryReadBinary(out var payload))
            {
                return Refusal.MalformedPacket;
            }

            willTopic = topic;
            willPayload = payload.ToArray();
        }

        string? userName = null;
        if (hasUser)
        {
            if (!reader.TryReadString(out var user))
            {
                return Refusal.MalformedPacket;
            }

            userName = user;
        }

        string? password = null;
        if (hasPassword)
        {
            // Binary data in the protocol; tokens are ASCII, and anything else fails their format check anyway.
            if (!reader.TryReadBinary(out var secret))
            {
                return Refusal.MalformedPacket;
            }

            password = Encoding.UTF8.GetString(secret);
        }

        if (reader.Remaining != 0)
        {
            return Refusal.MalformedPacket;
        }

        request = new ConnectRequest
        {
            Version = version,
            CleanStart = cleanStart,
            KeepAliveSeconds = keepAlive,
            SessionExpirySeconds = expiry,
            ClientId = clientId,
            UserName = userName,
            Password = password,
            AsksEnhancedAuthentication = enhanced,
            WillTopic = willTopic,
            WillPayload = willPayload,
        };
        return Refusal.None;
    }

    private static readonly ConnectRequest Empty = new();
}
