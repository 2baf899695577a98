using System.Net;
using Datacake.Streams.Access;
using MQTTnet.Formatter;

namespace Datacake.Streams.Ingest.Mqtt;

/// <summary>
/// One authenticated MQTT connection: the fingerprint of the token it presented, nothing else of the token. Kept by
/// the broker under <see cref="Key"/> (carried in the connection's CONNECT user name, see
/// <see cref="ConnectPacketRewrite"/>), never in MQTTnet's session items, which a resumed session hands to the next connection.
/// </summary>
internal sealed class MqttDeviceConnection(string key, string clientId, string sessionId, TokenHash fingerprint, MqttProtocolVersion protocolVersion, EndPoint? remote)
{
    /// <summary>Unique per connection for the broker's lifetime.</summary>
    public string Key { get; } = key;

    /// <summary>The id the device sent, or the one assigned to it; what the QoS 1 message key is made of.</summary>
    public string ClientId { get; } = clientId;

    /// <summary>The credential-scoped id MQTTnet knows the connection (and its session) by.</summary>
    public string SessionId { get; } = sessionId;

    public TokenHash Fingerprint { get; } = fingerprint;

    public MqttProtocolVersion ProtocolVersion { get; } = protocolVersion;

    public EndPoint? Remote { get; } = remote;

    public bool IsV5 => ProtocolVersion == MqttProtocolVersion.V500;

    /// <summary>Packet id of the PUBLISH being processed; the receive loop handles one packet at a time per connection.</summary>
    public ushort CurrentPacketId { get; set; }

    /// <summary>Set once a disconnect was started, so the revocation sweep starts it only once.</summary>
    public int Closing;
}
