using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using MQTTnet.Packets;
using MQTTnet.Server;

namespace Datacake.Streams.Ingest.Mqtt;

/// <summary>
/// Changes the CONNECT packet MQTTnet goes on to use, from inside connection validation, which exposes it only read-only:
/// the client id becomes the credential-scoped session id (<see cref="ClientIdScope"/>), the user name becomes the
/// broker's key of this one connection, and the password (the token) is wiped.
/// </summary>
/// <remarks>
/// Why the user name: MQTTnet passes a connection's own CONNECT user name to every per-packet event (publish,
/// inbound packet, subscription, disconnect), whereas session items belong to the session, which a later connection
/// resumes or takes over. The user name is free text to devices and never read by ingest, so it can carry the key that
/// ties each packet to the credential of the connection it arrived on. MQTTnet 5.2 keeps the packet in a private field
/// (<c>_connectPacket</c>); a unit test pins that, so an upgrade that renames it fails the build's tests, not production.
/// </remarks>
internal static class ConnectPacketRewrite
{
    public static void Apply(ValidatingConnectionEventArgs e, string sessionId, string connectionKey)
    {
        var packet = PacketOf(e);
        packet.ClientId = sessionId;
        packet.Username = connectionKey;

        // The connection and its session keep the packet for their lifetime: no token bytes in that memory.
        if (packet.Password is { } password)
        {
            CryptographicOperations.ZeroMemory(password);
            packet.Password = null;
        }
    }

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_connectPacket")]
    private static extern ref MqttConnectPacket PacketOf(ValidatingConnectionEventArgs e);
}
