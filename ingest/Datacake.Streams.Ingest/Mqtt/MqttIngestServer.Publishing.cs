using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Ingest.Mqtt.Wire;
using Datacake.Streams.Ingest.Publishing;
using Datacake.Streams.Payloads.JsonValues;
using Datacake.Streams.RecordLog;
using Datacake.Streams.Records;
using MQTTnet.Protocol;

namespace Datacake.Streams.Ingest.Mqtt;

// PUBLISH → raw record, and the batch's acknowledgements once durable.
public sealed partial class MqttIngestServer
{
    private static readonly TimeSpan _unavailableRetry = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Checks one PUBLISH (topic, the connection's own credential, body, quota) and hands its record to the log without
    /// waiting: the batch waits once for all of them in <see cref="CompleteBatchAsync"/>. Returns a reason to close with,
    /// or null to go on with the next packet.
    /// </summary>
    private MqttDisconnectReasonCode? Publish(MqttDeviceConnection connection, byte header, in ReadOnlySequence<byte> body)
    {
        // The payload is appended from the pipe's own memory; a packet split across segments is copied once (rare: a
        // 16 KiB read buffer holds a whole typical publish).
        ReadOnlyMemory<byte> packet;
        if (body.IsSingleSegment)
        {
            packet = body.First;
        }
        else
        {
            packet = CopyRented(connection, body);
        }

        if (!PublishPacket.TryParse(header, packet.Span, connection.IsV5, out var publish, out var malformed))
        {
            return (MqttDisconnectReasonCode)malformed;
        }

        var qos = publish.Qos;
        var now = connection.BatchTime;
        if (!MeasurementTopic.TryParsePublish(publish.Topic, out var device) || !MayWrite(connection, device, now))
        {
            return Refuse(connection, qos, publish.PacketId, MqttPubAckReasonCode.NotAuthorized, MqttDisconnectReasonCode.NotAuthorized);
        }

        var payload = packet[publish.PayloadOffset..];
        if (payload.Length > _options.MaxPayloadBytes)
        {
            // v5: DISCONNECT 0x95 Packet too large; 3.1.1 has no such code: the connection just closes. No PUBACK either way.
            _counters.Refuse(qos > 0);
            return MqttDisconnectReasonCode.PacketTooLarge;
        }

        var check = MeasurementBody.Check(payload.Span);
        if (!check.IsValid)
        {
            return Refuse(connection, qos, publish.PacketId, MqttPubAckReasonCode.PayloadFormatInvalid, MqttDisconnectReasonCode.PayloadFormatInvalid);
        }

        // Last check before the append. Over quota: v5 QoS 1 gets PUBACK 0x97 and stays connected (the client backs off
        // and resends); 3.1.1 has no negative PUBACK, so the connection closes and the unacknowledged message is resent
        // after reconnecting; QoS 0 has no PUBACK at all, so it closes too (v5 DISCONNECT 0x97).
        if (!quota.TryAdmit(device, check.Entries, out _))
        {
            return Refuse(connection, qos, publish.PacketId, MqttPubAckReasonCode.QuotaExceeded, MqttDisconnectReasonCode.QuotaExceeded);
        }

        var record = new RawRecord
        {
            DeviceId = device,
            Source = SourceKind.Mqtt,
            ReceivedAtUnixNs = (now - DateTimeOffset.UnixEpoch).Ticks * 100,
            DeviceTimeUnixNs = check.DeviceTimeUnixNs,
            MessageId = qos > 0 ? MessageKey(connection.ClientId, publish.PacketId, payload.Span) : null,
            PayloadKind = PayloadKind.JsonValues,
            Payload = payload,
            Credential = connection.Fingerprint,
            CredentialKind = CredentialKind.Token,
        };

        var pending = new PendingPublish { Record = qos > 0 ? record : default, PacketId = publish.PacketId, Qos = (byte)qos };
        if (qos == 0)
        {
            Interlocked.Increment(ref _pendingQos0);
        }

        try
        {
            pending.Append = appender.StartAppend(record, CancellationToken.None);
        }
        catch (RecordLogUnavailableException)
        {
            pending.Unavailable = true;
        }

        connection.AddPending(pending);
        return null;
    }

    /// <summary>
    /// The connection's credential may write the device, now. The grant is looked up once per batch (every publish of a
    /// batch comes from the same credential at the same moment) and the last device's verdict kept: a device publishing a
    /// batch costs one registry lookup, not one per message. The next batch asks again, so revocation still bites.
    /// </summary>
    private bool MayWrite(MqttDeviceConnection connection, DeviceId device, DateTimeOffset now)
    {
        if (connection.BatchDevice == device)
        {
            return connection.BatchDeviceWritable;
        }

        if (connection.BatchGrant is null && registry.AuthenticateFingerprint(connection.Fingerprint, now, out connection.BatchGrant) != AuthenticationResult.Ok)
        {
            connection.BatchGrant = null;
            return false;
        }

        connection.BatchDevice = device;
        connection.BatchDeviceWritable = registry.CanWrite(connection.BatchGrant!, device, now);
        return connection.BatchDeviceWritable;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ReadOnlyMemory<byte> CopyRented(MqttDeviceConnection connection, in ReadOnlySequence<byte> body)
    {
        var length = (int)body.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        body.CopyTo(rented);
        connection.Rented.Add(rented);
        return rented.AsMemory(0, length);
    }

    /// <summary>
    /// A refused publish. QoS 1 and 2 on v5: PUBACK (PUBREC) with the reason, in its place among the batch's answers.
    /// On 3.1.1 there is no negative acknowledgement, so the connection closes (the spec's choice for a server that will
    /// not accept). QoS 0 has no acknowledgement at all: the connection closes, with a v5 DISCONNECT naming the reason,
    /// so that a misconfigured device notices instead of losing data silently.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private MqttDisconnectReasonCode? Refuse(MqttDeviceConnection connection, int qos, ushort packetId, MqttPubAckReasonCode pubAck, MqttDisconnectReasonCode disconnect)
    {
        _counters.Refuse(qos > 0);
        if (qos > 0 && connection.IsV5)
        {
            connection.AddPending(new PendingPublish { PacketId = packetId, Qos = (byte)qos, Refusal = (byte)pubAck });
            return null;
        }

        return qos > 0 ? MqttDisconnectReasonCode.UnspecifiedError : disconnect;
    }

    /// <summary>
    /// Waits for the batch's appends in order and writes each acknowledgement (QoS 1 PUBACK, QoS 2 PUBREC). False when a
    /// QoS 1 or 2 message could not be made durable within the hold: its acknowledgement and the later ones are not
    /// sent (the later appends are still waited for, they may be stored; the client resends and dedup keeps one).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> CompleteBatchAsync(MqttDeviceConnection connection)
    {
        var output = connection.Output;
        var acknowledging = true;
        for (var i = 0; i < connection.PendingCount; i++)
        {
            var pending = connection.Pending[i];
            connection.Pending[i] = default;
            var type = pending.Qos == 2 ? MqttPacketType.PubRec : MqttPacketType.PubAck;
            if (pending.Refusal != 0)
            {
                if (acknowledging)
                {
                    MqttReplies.Acknowledge(output, type, pending.PacketId, pending.Refusal);
                }

                continue;
            }

            var durable = false;
            if (!pending.Unavailable)
            {
                // Awaited here, not in a helper method: a helper's state machine would be one more object per message.
                try
                {
                    _ = await pending.Append.ConfigureAwait(false);
                    durable = true;
                }
                catch (Exception exception) when (exception is RecordLogUnavailableException or OperationCanceledException)
                {
                }
            }

            if (pending.Qos == 0)
            {
                if (durable)
                {
                    _counters.Accepted(qos1: false);
                }
                else
                {
                    _counters.Dropped();
                }

                Interlocked.Decrement(ref _pendingQos0);
                continue;
            }

            if (!durable && acknowledging)
            {
                durable = await AppendHoldingAsync(pending.Record, _stopping.Token).ConfigureAwait(false) == AppendOutcome.Durable;
            }

            if (durable && acknowledging)
            {
                _counters.Accepted(qos1: true);
                MqttReplies.Acknowledge(output, type, pending.PacketId);
            }
            else
            {
                acknowledging = false;
            }
        }

        connection.PendingCount = 0;
        return acknowledging;
    }

    /// <summary>A will (the device's last message, at a connection's unannounced end): a QoS 0 publish of the connection's own credential, if still allowed.</summary>
    private void PublishWill(MqttDeviceConnection connection)
    {
        if (connection.WillTopic is not { } topic || connection.WillPayload is not { } payload || _stopping.IsCancellationRequested)
        {
            return;
        }

        var now = timeProvider.GetUtcNow();
        if (!MeasurementTopic.TryParsePublish(topic, out var device)
            || payload.Length > _options.MaxPayloadBytes
            || registry.AuthenticateFingerprint(connection.Fingerprint, now, out var grant) != AuthenticationResult.Ok
            || !registry.CanWrite(grant!, device, now))
        {
            return;
        }

        var check = MeasurementBody.Check(payload);
        if (!check.IsValid || !quota.TryAdmit(device, check.Entries, out _))
        {
            return;
        }

        var record = new RawRecord
        {
            DeviceId = device,
            Source = SourceKind.Mqtt,
            ReceivedAtUnixNs = (now - DateTimeOffset.UnixEpoch).Ticks * 100,
            DeviceTimeUnixNs = check.DeviceTimeUnixNs,
            PayloadKind = PayloadKind.JsonValues,
            Payload = payload,
            Credential = connection.Fingerprint,
            CredentialKind = CredentialKind.Token,
        };
        _ = AppendWillAsync(record);
    }

    private async Task AppendWillAsync(RawRecord record)
    {
        Interlocked.Increment(ref _pendingQos0);
        try
        {
            var durable = await appender.AppendAsync(record, CancellationToken.None).ConfigureAwait(false) == AppendOutcome.Durable;
            if (durable)
            {
                _counters.Accepted(qos1: false);
            }
            else
            {
                _counters.Dropped();
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException)
        {
            _counters.Dropped();
        }
        finally
        {
            Interlocked.Decrement(ref _pendingQos0);
        }
    }

    /// <summary>QoS 1: retries an unavailable log for up to <see cref="MqttIngestOptions.UnavailableHold"/> while the PUBACK waits.</summary>
    private async ValueTask<AppendOutcome> AppendHoldingAsync(RawRecord record, CancellationToken cancellationToken)
    {
        var started = timeProvider.GetTimestamp();
        while (true)
        {
            var outcome = await appender.AppendAsync(record, CancellationToken.None).ConfigureAwait(false);
            if (outcome == AppendOutcome.Durable
                || timeProvider.GetElapsedTime(started) >= _options.UnavailableHold
                || cancellationToken.IsCancellationRequested)
            {
                return outcome;
            }

            try
            {
                await Task.Delay(_unavailableRetry, timeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return AppendOutcome.Unavailable;
            }
        }
    }

    /// <summary>
    /// The dedup key of a QoS 1 message: SHA-256 over client id, packet id and payload, 128 bits as hex. A redelivery
    /// (DUP) after a lost PUBACK repeats all three (MQTT keeps the packet id until the PUBACK arrives, and the session
    /// must be persistent, i.e. the same client id, for the client to resend), so it gets the same key. A new message
    /// reusing a freed packet id almost always differs in payload; only an identical payload with the same packet id
    /// from the same client inside processing's dedup window would be taken for a repeat. Hashed so that a client id
    /// holding a name never reaches the log.
    /// </summary>
    internal static string MessageKey(string clientId, ushort packetId, ReadOnlySpan<byte> payload)
    {
        // One contiguous buffer and the one-shot hash: a new IncrementalHash costs a native context per message.
        var length = Encoding.UTF8.GetByteCount(clientId) + 3 + payload.Length;
        byte[]? rented = null;
        var buffer = length <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var written = Encoding.UTF8.GetBytes(clientId, buffer);
            buffer[written] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(buffer[(written + 1)..], packetId);
            payload.CopyTo(buffer[(written + 3)..]);
            Span<byte> digest = stackalloc byte[32];
            SHA256.HashData(buffer[..length], digest);
            return "mqtt:" + Convert.ToHexStringLower(digest[..16]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
