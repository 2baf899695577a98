using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Datacake.Streams.IntegrationTests.EndToEnd;

/// <summary>
/// A device's MQTT 3.1.1 client written on the socket, byte by byte, so that a test controls what a library hides:
/// the packet id, the DUP flag, and a connection dropped without DISCONNECT (as a device losing power before it read
/// the PUBACK would). Plain TCP: the broker's loopback listener.
/// </summary>
internal sealed class MqttWire : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;

    private MqttWire(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _stream.ReadTimeout = 10_000;
    }

    /// <summary>Whether the broker's CONNACK said it resumed an existing session.</summary>
    public bool SessionPresent { get; private set; }

    /// <summary>Connects (by default with a persistent session, clean session 0) and returns the CONNACK return code (0 = accepted).</summary>
    public static async Task<(MqttWire Connection, byte ReturnCode)> ConnectAsync(int port, string clientId, string password, bool cleanSession = false)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        var wire = new MqttWire(tcp);
        var body = new List<byte>();
        body.AddRange(Utf8("MQTT"));
        body.Add(4);                      // protocol level: 3.1.1
        body.Add((byte)(0b1100_0000 | (cleanSession ? 0b10 : 0)));  // user name, password; clean session as asked
        body.AddRange([0, 30]);           // keep alive 30 s
        body.AddRange(Utf8(clientId));
        body.AddRange(Utf8("device"));
        body.AddRange(Utf8(password));
        await wire.SendAsync(0x10, body);
        var connack = await wire.ReadPacketAsync();
        Assert.Equal(0x20, connack.Header);
        wire.SessionPresent = (connack.Body[0] & 1) != 0;
        return (wire, connack.Body[1]);
    }

    /// <summary>Connects until the broker accepts the token (it reaches ingest through dcs.registry).</summary>
    public static async Task<MqttWire> ConnectAcceptedAsync(int port, string clientId, string password, bool cleanSession = false)
    {
        var (connection, _) = await Until.Async(
            async () =>
            {
                var attempt = await ConnectAsync(port, clientId, password, cleanSession);
                if (attempt.ReturnCode != 0)
                {
                    await attempt.Connection.DisposeAsync();
                }

                return attempt;
            },
            c => c.ReturnCode == 0,
            "the broker accepting the device token");
        return connection;
    }

    /// <summary>Sends a QoS 1 PUBLISH with <paramref name="packetId"/> (DUP set when <paramref name="duplicate"/>) and waits for its PUBACK.</summary>
    public async Task PublishQos1Async(string topic, string payload, ushort packetId, bool duplicate = false)
    {
        var body = new List<byte>();
        body.AddRange(Utf8(topic));
        body.Add((byte)(packetId >> 8));
        body.Add((byte)packetId);
        body.AddRange(Encoding.UTF8.GetBytes(payload));
        await SendAsync((byte)(0x32 | (duplicate ? 0x08 : 0)), body);
        var puback = await ReadPacketAsync();
        Assert.True(puback.Header == 0x40, $"expected PUBACK, got packet type 0x{puback.Header:x2}");
        Assert.Equal(packetId, BinaryPrimitives.ReadUInt16BigEndian(puback.Body));
    }

    /// <summary>
    /// Sends a QoS 1 PUBLISH the broker must refuse: on 3.1.1 that means closing the connection without a PUBACK.
    /// Fails if a PUBACK comes instead.
    /// </summary>
    public async Task PublishQos1RefusedAsync(string topic, string payload, ushort packetId)
    {
        var body = new List<byte>();
        body.AddRange(Utf8(topic));
        body.Add((byte)(packetId >> 8));
        body.Add((byte)packetId);
        body.AddRange(Encoding.UTF8.GetBytes(payload));
        await SendAsync(0x32, body);
        var answer = await TryReadPacketAsync();
        Assert.True(answer is null, $"expected the connection to close, got packet type 0x{answer?.Header:x2}");
    }

    /// <summary>Sends a QoS 1 PUBLISH: true when its PUBACK comes, false when the broker closed the connection instead (3.1.1's refusal).</summary>
    public async Task<bool> PublishQos1AcknowledgedAsync(string topic, string payload, ushort packetId)
    {
        var body = new List<byte>();
        body.AddRange(Utf8(topic));
        body.Add((byte)(packetId >> 8));
        body.Add((byte)packetId);
        body.AddRange(Encoding.UTF8.GetBytes(payload));
        await SendAsync(0x32, body);
        var answer = await TryReadPacketAsync();
        if (answer is not { } puback)
        {
            return false;
        }

        Assert.True(puback.Header == 0x40, $"expected PUBACK, got packet type 0x{puback.Header:x2}");
        Assert.Equal(packetId, BinaryPrimitives.ReadUInt16BigEndian(puback.Body));
        return true;
    }

    /// <summary>PINGREQ: true when PINGRESP comes, false when the broker had closed the connection.</summary>
    public async Task<bool> PingAsync()
    {
        try
        {
            await SendAsync(0xC0, []);
        }
        catch (IOException)
        {
            return false;
        }

        var answer = await TryReadPacketAsync();
        Assert.True(answer is null || answer.Value.Header == 0xD0, $"expected PINGRESP, got packet type 0x{answer?.Header:x2}");
        return answer is not null;
    }

    /// <summary>Sends DISCONNECT and waits until the broker has closed the connection (and so ended a clean session).</summary>
    public async Task DisconnectAsync()
    {
        await SendAsync(0xE0, []);
        var answer = await TryReadPacketAsync();
        Assert.True(answer is null, $"expected the connection to close, got packet type 0x{answer?.Header:x2}");
    }

    /// <summary>
    /// Reads until the broker closes the connection (how a 3.1.1 broker ends a session it no longer authorizes); fails
    /// if a packet arrives instead or nothing happens within <paramref name="deadline"/>.
    /// </summary>
    public async Task ClosedByBrokerAsync(TimeSpan deadline)
    {
        _stream.ReadTimeout = (int)deadline.TotalMilliseconds;
        using var timeout = new CancellationTokenSource(deadline);
        var one = new byte[1];
        int read;
        try
        {
            read = await _stream.ReadAsync(one, timeout.Token);
        }
        catch (IOException)
        {
            return;
        }

        Assert.True(read == 0, $"expected the connection to close, got a byte 0x{one[0]:x2}");
    }

    /// <summary>Closes the socket without DISCONNECT: to the broker the device just vanished.</summary>
    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task SendAsync(byte header, List<byte> body)
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
        await _stream.WriteAsync(packet.ToArray());
    }

    /// <summary>The next packet, or null once the broker closed the connection.</summary>
    private async Task<(byte Header, byte[] Body)?> TryReadPacketAsync()
    {
        try
        {
            return await ReadPacketAsync();
        }
        catch (Exception exception) when (exception is EndOfStreamException or IOException)
        {
            return null;
        }
    }

    private async Task<(byte Header, byte[] Body)> ReadPacketAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var header = await ReadByteAsync(timeout.Token);
        int length = 0, shift = 0;
        byte digit;
        do
        {
            digit = await ReadByteAsync(timeout.Token);
            length |= (digit & 0x7F) << shift;
            shift += 7;
        }
        while ((digit & 0x80) != 0);

        var body = new byte[length];
        await _stream.ReadExactlyAsync(body, timeout.Token);
        return (header, body);
    }

    private async Task<byte> ReadByteAsync(CancellationToken cancellationToken)
    {
        var one = new byte[1];
        await _stream.ReadExactlyAsync(one, cancellationToken);
        return one[0];
    }

    private static byte[] Utf8(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return [(byte)(bytes.Length >> 8), (byte)bytes.Length, .. bytes];
    }
}
