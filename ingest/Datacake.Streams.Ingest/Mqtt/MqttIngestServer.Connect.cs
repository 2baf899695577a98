using System.Buffers;
using System.Net;
using Datacake.Streams.Access;
using Datacake.Streams.EdgeAuth;
using Datacake.Streams.Ingest.Mqtt.Wire;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Datacake.Streams.Ingest.Mqtt;

// CONNECT → CONNACK: the token, the client id's scope, the session.
public sealed partial class MqttIngestServer
{
    /// <summary>
    /// The largest CONNECT taken, before anything is known of the client: 8 KiB holds a client id, a user name, a token
    /// and a will of a few KiB; a larger one is refused without being buffered (unauthenticated memory is bounded).
    /// </summary>
    internal const int MaxConnectBytes = 8 * 1024;

    /// <summary>
    /// Reads the first packet, which must be CONNECT, and answers it. True when the connection is accepted and goes
    /// on to <see cref="ReceiveAsync"/>; false when it was refused (CONNACK with the reason, where the client can read one).
    /// </summary>
    private async Task<bool> AcceptConnectAsync(MqttDeviceConnection connection)
    {
        var input = connection.Input;
        while (true)
        {
            var read = await input.ReadAsync().ConfigureAwait(false);
            var buffer = read.Buffer;
            if (read.IsCanceled)
            {
                return false;
            }

            var status = MqttFrame.TryRead(ref buffer, MaxConnectBytes, out var header, out var body);
            if (status == FrameStatus.Incomplete)
            {
                if (read.IsCompleted)
                {
                    return false;
                }

                input.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                continue;
            }

            // Anything but a well-framed CONNECT first is a protocol violation: closed without an answer (MQTT-3.1.0-1).
            if (status != FrameStatus.Complete || header != 0x10)
            {
                return false;
            }

            var accepted = Answer(connection, body);
            input.AdvanceTo(buffer.Start);
            if (accepted is { } session)
            {
                if (session.Previous is { } previous)
                {
                    // A takeover completes before the CONNACK: the client sees one connection for its session, not two.
                    await previous.Closed.Task.WaitAsync(_options.UnavailableHold + TimeSpan.FromSeconds(1), timeProvider).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }

                MqttReplies.ConnAck(connection.Output, connection.IsV5, session.Present, MqttConnectReasonCode.Success, session.AssignedClientId);
            }

            await connection.Output.FlushAsync().ConfigureAwait(false);
            return accepted is not null;
        }
    }

    private readonly record struct AcceptedSession(bool Present, string? AssignedClientId, MqttDeviceConnection? Previous);

    /// <summary>Judges a CONNECT: the session when accepted (its CONNACK still to write), else null with the refusing CONNACK written.</summary>
    private AcceptedSession? Answer(MqttDeviceConnection connection, in ReadOnlySequence<byte> body)
    {
        var refusal = ConnectRequest.TryParse(body.IsSingleSegment ? body.FirstSpan : body.ToArray(), out var connect);
        var output = connection.Output;
        if (refusal != ConnectRequest.Refusal.None)
        {
            if (refusal == ConnectRequest.Refusal.UnsupportedProtocolVersion)
            {
                // A 3.1.1 return code (0x01) is what a client of any version can read.
                MqttReplies.ConnAck(output, v5: false, sessionPresent: false, MqttConnectReasonCode.UnsupportedProtocolVersion, null);
            }

            return null;
        }

        if (connect.AsksEnhancedAuthentication)
        {
            MqttReplies.ConnAck(output, connect.IsV5, false, MqttConnectReasonCode.BadAuthenticationMethod, null);
            return null;
        }

        var password = EdgeCredentials.FromMqttPassword(connect.Password);

        // Format and checksum first: garbage never costs a hash and a lookup. The user name is free (devices put anything).
        var fingerprint = password.IsWellFormed ? password.Hash() : default;
        if (!password.IsWellFormed || registry.AuthenticateFingerprint(fingerprint, timeProvider.GetUtcNow(), out _) != AuthenticationResult.Ok)
        {
            // Only failures spend the budget, per address and client: a valid token is never refused for others' failures.
            var client = (connection.Remote as IPEndPoint)?.Address;
            var reason = failures.TrySpend(client, FailureScope.MqttClient(connect.UserName, password), out _)
                ? MqttConnectReasonCode.BadUserNameOrPassword
                : MqttConnectReasonCode.ConnectionRateExceeded;
            MqttReplies.ConnAck(output, connect.IsV5, false, reason, null);
            return null;
        }

        var outcome = ClientIdScope.Resolve(connect.ClientId, connect.Version, connect.CleanStart, out var clientId);
        if (outcome == ClientIdOutcome.Refused)
        {
            // 3.1.1: 0x02 "identifier rejected".
            MqttReplies.ConnAck(output, connect.IsV5, false, MqttConnectReasonCode.ClientIdentifierNotValid, null);
            return null;
        }

        // One token's connections are capped: a leaked or looping token spends its own quota, not the node's descriptors.
        if (!_openByCredential.TryAdd(fingerprint))
        {
            // 3.1.1 has no quota code: 0x03 Server unavailable (MQTTnet's conversion would say 0x01, a wrong protocol version).
            MqttReplies.ConnAck(output, connect.IsV5, false, connect.IsV5 ? MqttConnectReasonCode.QuotaExceeded : MqttConnectReasonCode.ServerUnavailable, null);
            return null;
        }

        connection.CountsForCredential = 1;
        LeavePending(connection);
        connection.Authenticate(connect, clientId, ClientIdScope.SessionId(fingerprint, clientId), fingerprint);
        Volatile.Write(ref connection.LastReceived, timeProvider.GetTimestamp());
        var present = _sessions.Open(connection, connect.CleanStart, out var previous);
        previous?.RequestClose(MqttDisconnectReasonCode.SessionTakenOver);
        _connections[connection.Serial] = connection;

        // Told to a v5 client in CONNACK; 3.1.1 has no field for it.
        var assigned = outcome == ClientIdOutcome.Assigned && connect.Version == MqttProtocolVersion.V500 ? clientId : null;
        return new AcceptedSession(present, assigned, previous);
    }
}
