using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Datacake.Streams.IntegrationTests.Ingest.Mqtt;

/// <summary>
/// MQTT packets as bytes, written here and not by a client library, so that tests can send what no library would (a
/// mutated packet, a CONNECT and nothing after it), and the broker's answers read back packet by packet.
/// </summary>
internal static class MqttPacketBytes
{
    public static byte[] Connect(byte version, string clientId, string? userName, string? password, ushort keepAliveSeconds, bool cleanStart = true)
    {
        var body = new List<byte>();
        body.AddRange(Utf8("MQTT"));
        body.Add(version);
        body.Add((byte)((userName is null ? 0 : 0x80) | (password is null ? 0 : 0x40) | (cleanStart ? 0x02 : 0)));
        body.Add((byte)(keepAliveSeconds >> 8));
        body.Add((byte)keepAliveSeconds);
        if (version == 5)
        {
            body.Add(0);
        }

        body.AddRange(Utf8(clientId));
        if (userName is not null)
        {
            body.AddRange(Utf8(userName));
        }

        if (password is not null)
        {
            body.AddRange(Utf8(password));
        }

        return Packet(0x10, body);
    }

    public static byte[] Publish(string topic, string payload, int qos, ushort packetId, bool v5)
    {
        var body = new List<byte>(Utf8(topic));
        if (qos > 0)
        {
            body.Add((byte)(packetId >> 8));
            body.Add((byte)packetId);
        }

        if (v5)
        {
            body.Add(0);
        }

        body.AddRange(Encoding.UTF8.GetBytes(payload));
        return Packet((byte)(0x30 | (qos << 1)), body);
    }

    public static byte[] Subscribe(string filter, ushort packetId, bool v5)
    {
        var body = new List<byte> { (byte)(packetId >> 8), (byte)packetId };
        if (v5)
        {
            body.Add(0);
        }

        body.AddRange(Utf8(filter));
        body.Add(1);
        return Packet(0x82, body);
    }

    public static byte[] Unsubscribe(string filter, ushort packetId, bool v5)
    {
        var body = new List<byte> { (byte)(packetId >> 8), (byte)packetId };
        if (v5)
        {
            body.Add(0);
        }

        body.AddRange(Utf8(filter));
        return Packet(0xA2, body);
    }

    public static byte[] Packet(byte header, List<byte> body)
    {
        var packet = new List<byte> { header };
        var length = body.Count;
        do
        {
            var digit = (byte)(length % 128);
            length /= 128;
            packet.Add(length > 0 ? (byte)(digit | 0x80) : digit);
        }
        while (length > 0);
        packet.AddRange(body);
        return packet.ToArray();
    }

    public static byte[] Utf8(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return [(byte)(bytes.Length >> 8), (byte)bytes.Length, .. bytes];
    }

    /// <summary>A TCP connection to the broker from <paramref name="source"/> (an address of 127.0.0.0/8), so that tests can be several clients.</summary>
    public static async Task<Socket> OpenAsync(IPEndPoint broker, IPAddress? source = null, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (source is not null)
            {
                socket.Bind(new IPEndPoint(source, 0));
            }

            await socket.ConnectAsync(broker, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Reads one packet; null when the broker closed the connection (or reset it) first. Throws on the deadline.</summary>
    public static async Task<(byte Header, byte[] Body)?> ReadPacketAsync(Socket socket, CancellationToken cancellationToken)
    {
        var header = await ReadExactlyAsync(socket, 1, cancellationToken);
        if (header is null)
        {
            return null;
        }

        var length = 0;
        for (var shift = 0; shift < 28; shift += 7)
        {
            var digit = await ReadExactlyAsync(socket, 1, cancellationToken) ?? throw new InvalidDataException("closed inside a packet's length");
            length |= (digit[0] & 0x7F) << shift;
            if ((digit[0] & 0x80) == 0)
            {
                var body = length == 0 ? [] : await ReadExactlyAsync(socket, length, cancellationToken) ?? throw new InvalidDataException("closed inside a packet's body");
                return (header[0], body);
            }
        }

        throw new InvalidDataException("a length of more than four bytes");
    }

    private static async Task<byte[]?> ReadExactlyAsync(Socket socket, int count, CancellationToken cancellationToken)
    {
        var bytes = new byte[count];
        var read = 0;
        while (read < count)
        {
            int n;
            try
            {
                n = await socket.ReceiveAsync(bytes.AsMemory(read), SocketFlags.None, cancellationToken);
            }
            catch (SocketException exception) when (exception.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                n = 0;
            }

            if (n == 0)
            {
                return read == 0 ? null : throw new InvalidDataException($"closed after {read} of {count} bytes");
            }

            read += n;
        }

        return bytes;
    }
}
