using Datacake.Streams.Access;
using MQTTnet.Formatter;

namespace Datacake.Streams.Ingest.Mqtt;

/// <summary>What became of the client id a CONNECT carried.</summary>
internal enum ClientIdOutcome
{
    /// <summary>The device's own id, used as sent.</summary>
    AsSent,

    /// <summary>Empty, and the protocol lets the server pick one: a fresh id was assigned.</summary>
    Assigned,

    /// <summary>Empty where the protocol forbids assigning one: CONNACK "client identifier not valid".</summary>
    Refused,
}

/// <summary>
/// Client ids live inside their credential. MQTTnet keys sessions (and takeover) by client id alone, so the broker
/// hands it <c>{credential fingerprint hex}/{client id}</c> instead of the id the device sent: two credentials never
/// share a session, whatever ids their devices pick, and a session is resumed or taken over only by the credential
/// that opened it. Refusing an id "held" by another credential would have been the other way; it lets any tenant
/// squat a guessable id (<c>boiler-1</c>) while its owner is offline and so lock that device out. A scope cannot collide.
/// </summary>
internal static class ClientIdScope
{
    private const string AssignedPrefix = "dcs-";

    /// <summary>The id MQTTnet sees: the fingerprint is fixed-length hex, so the prefix can never be forged by a client id.</summary>
    public static string SessionId(TokenHash credential, string clientId) => credential.ToHex() + "/" + clientId;

    /// <summary>
    /// The device-facing client id. An empty one is assigned on v5 (always allowed, told in CONNACK) and on 3.1.1 with
    /// clean session (MQTT-3.1.3-7: the server may assign one; the client is not told, it does not need to be). 3.1.1
    /// without clean session cannot resume a session it cannot name again: refused (MQTT-3.1.3-8, 0x02). 3.1 requires an id.
    /// </summary>
    public static ClientIdOutcome Resolve(string? requested, MqttProtocolVersion version, bool cleanSession, out string clientId)
    {
        if (!string.IsNullOrEmpty(requested))
        {
            clientId = requested;
            return ClientIdOutcome.AsSent;
        }

        if (version == MqttProtocolVersion.V500 || (version == MqttProtocolVersion.V311 && cleanSession))
        {
            clientId = AssignedPrefix + Guid.NewGuid().ToString("N");
            return ClientIdOutcome.Assigned;
        }

        clientId = string.Empty;
        return ClientIdOutcome.Refused;
    }
}
