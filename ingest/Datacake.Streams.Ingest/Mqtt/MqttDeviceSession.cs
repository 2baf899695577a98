using System.Net;
using Datacake.Streams.Access;
using MQTTnet.Formatter;

namespace Datacake.Streams.Ingest.Mqtt;

/// <summary>One authenticated MQTT connection: the fingerprint of the token it presented, nothing else of the token.</summary>
internal sealed class MqttDeviceSession(string clientId, TokenHash fingerprint, MqttProtocolVersion protocolVersion, EndPoint? remote)
{
    /// <summary>The key under which the session sits in MQTTnet's per-session items.</summary>
    public static readonly object ItemKey = new();

    public string ClientId { get; } = clientId;

    public TokenHash Fingerprint { get; } = fingerprint;

    public MqttProtocolVersion ProtocolVersion { get; } = protocolVersion;

    public EndPoint? Remote { get; } = remote;

    public bool IsV5 => ProtocolVersion == MqttProtocolVersion.V500;

    /// <summary>Packet id of the PUBLISH being processed; the receive loop handles one packet at a time per connection.</summary>
    public ushort CurrentPacketId { get; set; }

    /// <summary>Set once a disconnect was started, so the revocation sweep starts it only once.</summary>
    public int Closing;
}
