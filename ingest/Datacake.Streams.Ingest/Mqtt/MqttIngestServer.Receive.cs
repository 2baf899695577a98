using System.Buffers;
using Datacake.Streams.Access;
using Datacake.Streams.Ingest.Mqtt.Wire;
using MQTTnet.Protocol;

namespace Datacake.Streams.Ingest.Mqtt;

// The receive loop of an accepted connection: every packet of one read, then one wait and one flush.
public sealed partial class MqttIngestServer
{
    /// <summary>
    /// Reads until the connection ends. Each read's complete packets are handled in order: publishes are handed to the
    /// log, the rest answered at once; then the batch's appends are waited for together, their acknowledgements written
    /// in the order the publishes came (MQTT-4.6.0-2), and everything flushed in one write. The read buffer is released
    /// only after that, so a publish's payload is read from the pipe in place, also by a retried append.
    /// </summary>
    private async Task ReceiveAsync(MqttDeviceConnection connection)
    {
        var input = connection.Input;
        var output = connection.Output;

        // A publish's topic and properties come on top of its payload: 1 KiB of room for them.
        var maxPacket = _options.MaxPayloadBytes + 1024;
        while (true)
        {
            var read = await input.ReadAsync().ConfigureAwait(false);
            var buffer = read.Buffer;
            Volatile.Write(ref connection.LastReceived, timeProvider.GetTimestamp());
            connection.StartBatch(timeProvider.GetUtcNow());
            MqttDisconnectReasonCode? close = null;
            while (close is null)
            {
                var status = MqttFrame.TryRead(ref buffer, maxPacket, out var header, out var body);
                if (status == FrameStatus.Incomplete)
                {
                    break;
                }

                close = status switch
                {
                    FrameStatus.TooLarge => MqttDisconnectReasonCode.PacketTooLarge,
                    FrameStatus.Malformed => MqttDisconnectReasonCode.MalformedPacket,
                    _ => Handle(connection, header, body),
                };
            }

            if (connection.PendingCount > 0 && !await CompleteBatchAsync(connection).ConfigureAwait(false))
            {
                // A QoS 1 message the log would not take within the hold: no PUBACK, the client resends after reconnecting.
                close ??= MqttDisconnectReasonCode.UnspecifiedError;
            }

            close ??= connection.CloseReason;
            if (close is { } reason)
            {
                if (connection.IsV5 && reason != MqttDisconnectReasonCode.NormalDisconnection)
                {
                    MqttReplies.Disconnect(output, reason);
                }

                await output.FlushAsync().ConfigureAwait(false);
                return;
            }

            if (output.UnflushedBytes > 0)
            {
                await output.FlushAsync().ConfigureAwait(false);
            }

            connection.ReturnRented();
            input.AdvanceTo(buffer.Start, buffer.End);
            if (read.IsCompleted)
            {
                return;
            }
        }
    }

    /// <summary>One packet after CONNECT; a reason to close the connection with, or null to go on.</summary>
    private MqttDisconnectReasonCode? Handle(MqttDeviceConnection connection, byte header, in ReadOnlySequence<byte> body)
    {
        var type = (MqttPacketType)(header >> 4);
        if (type == MqttPacketType.Publish)
        {
            return Publish(connection, header, body);
        }

        // Every other packet a client sends is small: read from one span (a split one is copied, rarely).
        var span = body.IsSingleSegment ? body.FirstSpan : body.ToArray();
        return type switch
        {
            MqttPacketType.PingReq when header == 0xC0 => Ping(connection),
            MqttPacketType.PubRel when header == 0x62 => Released(connection, span),

            // Acknowledgements of messages the broker would have sent: it sends none, so there is nothing to match.
            MqttPacketType.PubAck or MqttPacketType.PubRec or MqttPacketType.PubComp => null,
            MqttPacketType.Subscribe when header == 0x82 => Subscribe(connection, span),
            MqttPacketType.Unsubscribe when header == 0xA2 => Unsubscribe(connection, span),
            MqttPacketType.Disconnect when header == 0xE0 => Disconnected(connection, span),

            // A second CONNECT, AUTH (no enhanced authentication was agreed) or reserved flags: protocol error.
            _ => MqttDisconnectReasonCode.ProtocolError,
        };
    }

    private static MqttDisconnectReasonCode? Ping(MqttDeviceConnection connection)
    {
        MqttReplies.PingResp(connection.Output);
        return null;
    }

    /// <summary>QoS 2's second step: the message was stored at PUBLISH (and PUBREC sent then); PUBREL only needs its PUBCOMP.</summary>
    private static MqttDisconnectReasonCode? Released(MqttDeviceConnection connection, ReadOnlySpan<byte> body)
    {
        var reader = new MqttReader(body);
        if (!reader.TryReadUInt16(out var packetId))
        {
            return MqttDisconnectReasonCode.MalformedPacket;
        }

        MqttReplies.Acknowledge(connection.Output, MqttPacketType.PubComp, packetId);
        return null;
    }

    /// <summary>The client's goodbye: no will, unless MQTT 5's "disconnect with will message" (0x04); MQTT 5 may change the session's expiry.</summary>
    private static MqttDisconnectReasonCode? Disconnected(MqttDeviceConnection connection, ReadOnlySpan<byte> body)
    {
        var reader = new MqttReader(body);
        byte reason = 0;
        if (connection.IsV5 && reader.TryReadByte(out reason) && reader.TryReadProperties(out var properties))
        {
            var props = new MqttReader(properties);
            while (props.Remaining > 0 && props.TryReadProperty(out var id, out var number, out _))
            {
                // A session that was to end with the connection cannot be made to outlive it (MQTT-3.14.2-2).
                if (id == 0x11 && connection.SessionExpirySeconds != 0)
                {
                    connection.SessionExpirySeconds = number;
                }
            }
        }

        connection.DisconnectedCleanly = reason != 0x04;
        return MqttDisconnectReasonCode.NormalDisconnection;
    }

    /// <summary>Subscriptions stay within one device the token may read; <c>#</c> or a wildcard device is refused. Nothing is ever routed.</summary>
    private MqttDisconnectReasonCode? Subscribe(MqttDeviceConnection connection, ReadOnlySpan<byte> body)
    {
        var reader = new MqttReader(body);
        if (!reader.TryReadUInt16(out var packetId) || (connection.IsV5 && !reader.TryReadProperties(out _)))
        {
            return MqttDisconnectReasonCode.MalformedPacket;
        }

        Span<byte> codes = stackalloc byte[64];
        var count = 0;
        var now = timeProvider.GetUtcNow();
        var authenticated = registry.AuthenticateFingerprint(connection.Fingerprint, now, out var grant) == AuthenticationResult.Ok;
        while (reader.Remaining > 0)
        {
            if (!reader.TryReadString(out var filter) || !reader.TryReadByte(out var subscriptionOptions) || count == codes.Length)
            {
                return MqttDisconnectReasonCode.MalformedPacket;
            }

            var allowed = authenticated
                && MeasurementTopic.TryParseSubscription(filter, out var device)
                && registry.CanRead(grant!, device, now);

            // Granted: the QoS asked for (its low two bits). Refused: 0x87 Not authorized on MQTT 5, 0x80 Failure on 3.1.1.
            codes[count++] = allowed ? (byte)(subscriptionOptions & 0x03) : connection.IsV5 ? (byte)0x87 : (byte)0x80;
        }

        // At least one filter (MQTT-3.8.3-3).
        if (count == 0)
        {
            return MqttDisconnectReasonCode.ProtocolError;
        }

        MqttReplies.SubAck(connection.Output, connection.IsV5, packetId, codes[..count]);
        return null;
    }

    private static MqttDisconnectReasonCode? Unsubscribe(MqttDeviceConnection connection, ReadOnlySpan<byte> body)
    {
        var reader = new MqttReader(body);
        if (!reader.TryReadUInt16(out var packetId) || (connection.IsV5 && !reader.TryReadProperties(out _)))
        {
            return MqttDisconnectReasonCode.MalformedPacket;
        }

        var count = 0;
        while (reader.Remaining > 0)
        {
            if (!reader.TryReadUtf8(out _))
            {
                return MqttDisconnectReasonCode.MalformedPacket;
            }

            count++;
        }

        if (count == 0)
        {
            return MqttDisconnectReasonCode.ProtocolError;
        }

        MqttReplies.UnsubAck(connection.Output, connection.IsV5, packetId, count);
        return null;
    }
}
