using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.Ingest.Publishing;
using Datacake.Streams.Payloads.JsonValues;
using Datacake.Streams.RecordLog;
using Datacake.Streams.Records;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace Datacake.Streams.Ingest.Mqtt;

// PUBLISH → raw record; SUBSCRIBE scope.
public sealed partial class MqttIngestServer
{
    private static readonly TimeSpan _unavailableRetry = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Runs on each connection's receive loop before MQTTnet handles the packet: refuses oversized PUBLISH packets and
    /// notes the packet id, which the publish interceptor does not see but the QoS 1 message key needs.
    /// </summary>
    private Task InspectInboundPacketAsync(InterceptingPacketEventArgs e)
    {
        if (e.Packet is MqttPublishPacket publish && ConnectionOf(e.UserName) is { } connection)
        {
            if (publish.Payload.Length > _options.MaxPayloadBytes)
            {
                // v5: DISCONNECT 0x95 Packet too large; 3.1.1 has no such code: the connection just closes. No PUBACK either way.
                e.ProcessPacket = false;
                StartDisconnect(connection, MqttDisconnectReasonCode.PacketTooLarge);
                return Task.CompletedTask;
            }

            connection.CurrentPacketId = publish.PacketIdentifier;
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Checks scope and body and appends. Not an async method: a QoS 0 message is encoded, handed to the log and left to
    /// complete on its own (no await, no state machine), so the connection's receive loop goes straight on to the next
    /// packet; only QoS 1 (PUBACK after durability) and a full QoS 0 window return a pending task.
    /// </summary>
    private Task InterceptPublishAsync(InterceptingPublishEventArgs e)
    {
        // Nothing is routed to subscribers: ingest only.
        e.ProcessPublish = false;
        var message = e.ApplicationMessage;
        // The credential of the connection this packet arrived on, never state a session kept from another connection.
        if (ConnectionOf(e.UserName) is not { } connection || connection.Closing != 0)
        {
            e.CloseConnection = true;
            return Task.CompletedTask;
        }

        var qos1 = message.QualityOfServiceLevel != MqttQualityOfServiceLevel.AtMostOnce;
        var now = timeProvider.GetUtcNow();
        if (!MeasurementTopic.TryParsePublish(message.Topic, out var device)
            || registry.AuthenticateFingerprint(connection.Fingerprint, now, out var grant) != AuthenticationResult.Ok
            || !registry.CanWrite(grant!, device, now))
        {
            Refuse(e, connection, qos1, MqttPubAckReasonCode.NotAuthorized, MqttDisconnectReasonCode.NotAuthorized);
            return Task.CompletedTask;
        }

        var payload = message.Payload;
        byte[]? rented = null;
        ReadOnlyMemory<byte> bytes;
        if (payload.IsSingleSegment)
        {
            bytes = payload.First;
        }
        else
        {
            rented = ArrayPool<byte>.Shared.Rent((int)payload.Length);
            payload.CopyTo(rented);
            bytes = rented.AsMemory(0, (int)payload.Length);
        }

        var owned = false;
        try
        {
            var check = MeasurementBody.Check(bytes.Span);
            if (!check.IsValid)
            {
                Refuse(e, connection, qos1, MqttPubAckReasonCode.PayloadFormatInvalid, MqttDisconnectReasonCode.PayloadFormatInvalid);
                return Task.CompletedTask;
            }

            // Last check before the append. Over quota: v5 QoS 1 gets PUBACK 0x97 and stays connected (the client backs
            // off and resends); 3.1.1 has no negative PUBACK, so the connection closes and the unacknowledged message is
            // resent after reconnecting; QoS 0 has no PUBACK at all, so it closes too (v5 DISCONNECT 0x97).
            if (!quota.TryAdmit(device, check.Entries, out _))
            {
                Refuse(e, connection, qos1, MqttPubAckReasonCode.QuotaExceeded, MqttDisconnectReasonCode.QuotaExceeded);
                return Task.CompletedTask;
            }

            var record = new RawRecord
            {
                DeviceId = device,
                Source = SourceKind.Mqtt,
                ReceivedAtUnixNs = (now - DateTimeOffset.UnixEpoch).Ticks * 100,
                DeviceTimeUnixNs = check.DeviceTimeUnixNs,
                MessageId = qos1 ? MessageKey(connection.ClientId, connection.CurrentPacketId, bytes.Span) : null,
                PayloadKind = PayloadKind.JsonValues,
                Payload = bytes,
                Credential = connection.Fingerprint,
                CredentialKind = CredentialKind.Token,
            };

            if (qos1)
            {
                owned = true;
                return AcknowledgeWhenDurableAsync(e, record, rented);
            }

            if (TryTakeQos0Slot())
            {
                // Encodes (reads the payload) before returning: the rented copy can go back right away.
                AppendQos0(record);
                return Task.CompletedTask;
            }

            owned = true;
            return AppendQos0WhenRoomAsync(record, rented);
        }
        finally
        {
            if (!owned && rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>QoS 1: the PUBACK goes out when this completes, so it completes only after the durable append.</summary>
    private async Task AcknowledgeWhenDurableAsync(InterceptingPublishEventArgs e, RawRecord record, byte[]? rented)
    {
        try
        {
            if (await AppendHoldingAsync(record, e.CancellationToken).ConfigureAwait(false) == AppendOutcome.Durable)
            {
                _counters.Accepted(qos1: true);
            }
            else
            {
                // No PUBACK: closing makes the client resend the message (DUP) once it reconnects.
                e.CloseConnection = true;
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// A refused publish. QoS 1 on v5: PUBACK with the reason. QoS 1 on 3.1.1 has no negative PUBACK, so the connection
    /// closes (the spec's choice for a server that will not accept). QoS 0 has no PUBACK at all: the connection closes,
    /// with a v5 DISCONNECT naming the reason, so that a misconfigured device notices instead of losing data silently.
    /// </summary>
    private void Refuse(InterceptingPublishEventArgs e, MqttDeviceConnection connection, bool qos1, MqttPubAckReasonCode pubAck, MqttDisconnectReasonCode disconnect)
    {
        _counters.Refuse(qos1);
        if (qos1 && connection.IsV5)
        {
            e.Response.ReasonCode = pubAck;
        }
        else if (qos1)
        {
            e.CloseConnection = true;
        }
        else
        {
            StartDisconnect(connection, disconnect);
        }
    }

    /// <summary>A full QoS 0 window: the connection's reader waits here (pushing back through TCP) until an append completes.</summary>
    private async Task AppendQos0WhenRoomAsync(RawRecord record, byte[]? rented)
    {
        try
        {
            Interlocked.Increment(ref _qos0SlotWaiters);
            try
            {
                while (!TryTakeQos0Slot())
                {
                    await _qos0SlotFreed.WaitAsync(_stopping.Token).ConfigureAwait(false);
                }
            }
            finally
            {
                Interlocked.Decrement(ref _qos0SlotWaiters);
            }

            AppendQos0(record);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>A window of <see cref="MqttIngestOptions.MaxPendingQos0Appends"/> across all connections, taken without a lock.</summary>
    private bool TryTakeQos0Slot()
    {
        var pending = Volatile.Read(ref _pendingQos0);
        while (pending < _options.MaxPendingQos0Appends)
        {
            var seen = Interlocked.CompareExchange(ref _pendingQos0, pending + 1, pending);
            if (seen == pending)
            {
                return true;
            }

            pending = seen;
        }

        return false;
    }

    /// <summary>QoS 0 with a slot taken: encoded and handed to the log now, counted when durable, slot returned then.</summary>
    private void AppendQos0(in RawRecord record)
    {
        ValueTask<LogPosition> append;
        try
        {
            append = appender.StartAppend(record, CancellationToken.None);
        }
        catch (RecordLogUnavailableException)
        {
            CompleteQos0(durable: false);
            return;
        }
        catch
        {
            ReleaseQos0Slot();
            throw;
        }

        if (append.IsCompleted)
        {
            CompleteQos0(append);
        }
        else
        {
            Qos0Completion.When(append, this);
        }
    }

    private void CompleteQos0(ValueTask<LogPosition> append)
    {
        bool durable;
        try
        {
            append.GetAwaiter().GetResult();
            durable = true;
        }
        catch (Exception exception) when (exception is RecordLogUnavailableException or OperationCanceledException)
        {
            durable = false;
        }

        CompleteQos0(durable);
    }

    private void CompleteQos0(bool durable)
    {
        if (durable)
        {
            _counters.Accepted(qos1: false);
        }
        else
        {
            _counters.Dropped();
        }

        ReleaseQos0Slot();
    }

    private void ReleaseQos0Slot()
    {
        var left = Interlocked.Decrement(ref _pendingQos0);
        if (Volatile.Read(ref _qos0SlotWaiters) > 0)
        {
            _qos0SlotFreed.Release();
        }

        if (left == 0 && Volatile.Read(ref _qos0Drained) is { } drained)
        {
            drained.TrySetResult();
        }
    }

    /// <summary>Waits for one QoS 0 append's durability without an async method: one object and one delegate per message.</summary>
    private sealed class Qos0Completion
    {
        private readonly ConfiguredValueTaskAwaitable<LogPosition>.ConfiguredValueTaskAwaiter _awaiter;
        private readonly ValueTask<LogPosition> _append;
        private readonly MqttIngestServer _server;

        private Qos0Completion(ValueTask<LogPosition> append, MqttIngestServer server)
        {
            _append = append;
            _awaiter = append.ConfigureAwait(false).GetAwaiter();
            _server = server;
        }

        public static void When(ValueTask<LogPosition> append, MqttIngestServer server)
        {
            var completion = new Qos0Completion(append, server);
            completion._awaiter.UnsafeOnCompleted(completion.Complete);
        }

        private void Complete() => _server.CompleteQos0(_append);
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

    /// <summary>Subscriptions stay within one device the token may read; <c>#</c> or a wildcard device is refused.</summary>
    private Task InterceptSubscriptionAsync(InterceptingSubscriptionEventArgs e)
    {
        var now = timeProvider.GetUtcNow();
        var allowed = ConnectionOf(e.UserName) is { } connection
            && MeasurementTopic.TryParseSubscription(e.TopicFilter.Topic, out var device)
            && registry.AuthenticateFingerprint(connection.Fingerprint, now, out var grant) == AuthenticationResult.Ok
            && registry.CanRead(grant!, device, now);
        if (!allowed)
        {
            e.ProcessSubscription = false;
            e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
        }

        return Task.CompletedTask;
    }
}
