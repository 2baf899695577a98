using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.Ingest.Measurements;
using Datacake.Streams.Ingest.Publishing;
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
        if (e.Packet is MqttPublishPacket publish && e.SessionItems[MqttDeviceSession.ItemKey] is MqttDeviceSession session)
        {
            if (publish.Payload.Length > _options.MaxPayloadBytes)
            {
                // v5: DISCONNECT 0x95 Packet too large; 3.1.1 has no such code: the connection just closes. No PUBACK either way.
                e.ProcessPacket = false;
                StartDisconnect(session, MqttDisconnectReasonCode.PacketTooLarge);
                return Task.CompletedTask;
            }

            session.CurrentPacketId = publish.PacketIdentifier;
        }

        return Task.CompletedTask;
    }

    private async Task InterceptPublishAsync(InterceptingPublishEventArgs e)
    {
        // Nothing is routed to subscribers: ingest only.
        e.ProcessPublish = false;
        var message = e.ApplicationMessage;
        if (e.SessionItems[MqttDeviceSession.ItemKey] is not MqttDeviceSession session || session.Closing != 0)
        {
            e.CloseConnection = true;
            return;
        }

        var qos1 = message.QualityOfServiceLevel != MqttQualityOfServiceLevel.AtMostOnce;
        var now = timeProvider.GetUtcNow();
        if (!MeasurementTopic.TryParsePublish(message.Topic, out var device)
            || registry.AuthenticateFingerprint(session.Fingerprint, now, out var grant) != AuthenticationResult.Ok
            || !registry.CanWrite(grant!, device, now))
        {
            Refuse(e, session, qos1, MqttPubAckReasonCode.NotAuthorized, MqttDisconnectReasonCode.NotAuthorized);
            return;
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

        try
        {
            var check = MeasurementBody.Check(bytes.Span);
            if (!check.IsValid)
            {
                Refuse(e, session, qos1, MqttPubAckReasonCode.PayloadFormatInvalid, MqttDisconnectReasonCode.PayloadFormatInvalid);
                return;
            }

            var record = new RawRecord
            {
                DeviceId = device,
                Source = SourceKind.Mqtt,
                ReceivedAtUnixNs = (now - DateTimeOffset.UnixEpoch).Ticks * 100,
                DeviceTimeUnixNs = check.DeviceTimeUnixNs,
                MessageId = qos1 ? MessageKey(session.ClientId, session.CurrentPacketId, bytes.Span) : null,
                PayloadKind = PayloadKind.JsonValues,
                Payload = bytes,
                Credential = session.Fingerprint,
                CredentialKind = CredentialKind.Token,
            };

            if (!qos1)
            {
                await AppendBestEffortAsync(record).ConfigureAwait(false);
                return;
            }

            if (await AppendHoldingAsync(record, e.CancellationToken).ConfigureAwait(false) != AppendOutcome.Durable)
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
    private void Refuse(InterceptingPublishEventArgs e, MqttDeviceSession session, bool qos1, MqttPubAckReasonCode pubAck, MqttDisconnectReasonCode disconnect)
    {
        if (qos1 && session.IsV5)
        {
            e.Response.ReasonCode = pubAck;
        }
        else if (qos1)
        {
            e.CloseConnection = true;
        }
        else
        {
            StartDisconnect(session, disconnect);
        }
    }

    /// <summary>QoS 0: not awaited by the connection (no ack to hold), bounded by a global number of appends in flight.</summary>
    private async ValueTask AppendBestEffortAsync(RawRecord record)
    {
        var slots = _qos0Slots!;
        if (!slots.Wait(0))
        {
            await slots.WaitAsync(_stopping.Token).ConfigureAwait(false);
        }

        ValueTask<AppendOutcome> append;
        try
        {
            // Encoding (and so every read of the payload) happens before AppendAsync first yields.
            append = appender.AppendAsync(record, CancellationToken.None);
        }
        catch
        {
            slots.Release();
            throw;
        }

        if (append.IsCompleted)
        {
            Finish(append.Result);
        }
        else
        {
            _ = CompleteAsync(append);
        }

        async Task CompleteAsync(ValueTask<AppendOutcome> pending)
        {
            var outcome = AppendOutcome.Unavailable;
            try
            {
                outcome = await pending.ConfigureAwait(false);
            }
            finally
            {
                Finish(outcome);
            }
        }

        void Finish(AppendOutcome outcome)
        {
            slots.Release();
            if (outcome != AppendOutcome.Durable)
            {
                Interlocked.Increment(ref _droppedQos0);
            }
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
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> buffer = stackalloc byte[256];
        var clientBytes = Encoding.UTF8.GetByteCount(clientId) <= buffer.Length - 3
            ? buffer[..Encoding.UTF8.GetBytes(clientId, buffer)]
            : Encoding.UTF8.GetBytes(clientId);
        hash.AppendData(clientBytes);
        Span<byte> separator = stackalloc byte[3];
        separator[0] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(separator[1..], packetId);
        hash.AppendData(separator);
        hash.AppendData(payload);
        Span<byte> digest = stackalloc byte[32];
        hash.GetHashAndReset(digest);
        return "mqtt:" + Convert.ToHexStringLower(digest[..16]);
    }

    /// <summary>Subscriptions stay within one device the token may read; <c>#</c> or a wildcard device is refused.</summary>
    private Task InterceptSubscriptionAsync(InterceptingSubscriptionEventArgs e)
    {
        var now = timeProvider.GetUtcNow();
        var allowed = e.SessionItems[MqttDeviceSession.ItemKey] is MqttDeviceSession session
            && MeasurementTopic.TryParseSubscription(e.TopicFilter.Topic, out var device)
            && registry.AuthenticateFingerprint(session.Fingerprint, now, out var grant) == AuthenticationResult.Ok
            && registry.CanRead(grant!, device, now);
        if (!allowed)
        {
            e.ProcessSubscription = false;
            e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
        }

        return Task.CompletedTask;
    }
}
