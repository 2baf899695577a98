using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Datacake.Streams.LoadGen.EndToEnd;
using Datacake.Streams.LoadGen.Mqtt;

namespace Datacake.Streams.UnitTests.Bench.LoadGen;

/// <summary>
/// The raw device against a scripted broker on a loopback socket in this process: what it sends is read back with the
/// codec, PUBACKs go back one byte per write (so the device meets packets split across reads), in reverse order and
/// with a refusal among them.
/// </summary>
public sealed class RawMqttDeviceTests
{
    private const long BaseMs = 1_796_000_000_000;

    [Theory]
    [InlineData(5)]
    [InlineData(4)] // 3.1.1
    public async Task Every_publish_is_numbered_and_acknowledged_by_its_own_puback(byte protocolLevel)
    {
        var version = (MqttVersion)protocolLevel;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        // Refused with 0x87 in MQTT 5; in 3.1.1 a PUBACK has no reason, so every publish succeeds.
        const long RefusedSeq = 13;
        var broker = ScriptedBrokerAsync(listener, version, expected: 40, refusedSeq: version == MqttVersion.V500 ? RefusedSeq : -1, timeout.Token);

        var device = await RawMqttDevice.ConnectAsync(
            "127.0.0.1", port, version, "c0", "secret", "devices/d0/measurements", qos: 1, window: 4, batch: 64, timeout.Token);
        var acks = new AckedRanges();
        var sends = new SendLog();
        await device.PublishAsync(new SequenceSource(10, 40), BaseMs, sends, acks, timeout.Token);
        await device.DisposeAsync();
        var received = await broker;

        Assert.Equal(Enumerable.Range(10, 40).Select(i => (long)i), received.Select(r => r.Seq).Order());
        Assert.All(received, r => Assert.Equal("devices/d0/measurements", r.Topic));
        Assert.True(received.Max(r => r.InFlight) <= 4, "never more than the window awaits its PUBACK");
        Assert.Equal(40, sends.Entries[^1].Cumulative);
        var flags = acks.ToFlags(10, 40);
        if (version == MqttVersion.V500)
        {
            Assert.Equal((39, 1), (acks.Total, acks.Failed));
            Assert.False(flags[(int)(RefusedSeq - 10)]);
            Assert.Equal(39, flags.Count(f => f));
        }
        else
        {
            Assert.Equal((40, 0), (acks.Total, acks.Failed));
            Assert.All(flags, Assert.True);
        }
    }

    [Fact]
    public async Task A_refused_connect_is_an_error_naming_the_code()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var broker = Task.Run(
            async () =>
            {
                using var socket = await listener.AcceptSocketAsync(timeout.Token);
                await ReadPacketAsync(socket, new byte[1024], timeout.Token);
                await socket.SendAsync(new byte[] { 0x20, 0x03, 0x00, 0x86, 0x00 }, SocketFlags.None, timeout.Token); // bad user name or password
            },
            timeout.Token);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => RawMqttDevice.ConnectAsync(
            "127.0.0.1", port, MqttVersion.V500, "c0", "wrong", "t", qos: 1, window: 4, batch: 4, timeout.Token));

        Assert.Contains("0x86", error.Message, StringComparison.Ordinal);
        await broker;
    }

    private sealed record Received(string Topic, long Seq, int InFlight);

    /// <summary>
    /// Accepts one device, checks its CONNECT, accepts it, then answers every read's publishes with PUBACKs in reverse
    /// order, one byte per write, until <paramref name="expected"/> publishes came; then waits for DISCONNECT.
    /// </summary>
    private static Task<List<Received>> ScriptedBrokerAsync(TcpListener listener, MqttVersion version, int expected, long refusedSeq, CancellationToken cancellationToken) =>
        Task.Run(
            async () =>
            {
                using var socket = await listener.AcceptSocketAsync(cancellationToken);
                socket.NoDelay = true;
                var buffer = new byte[64 * 1024];
                var (type, connect) = await ReadPacketAsync(socket, buffer, cancellationToken);
                Assert.Equal(MqttCodec.Connect, type);
                Assert.Equal((byte)version, connect[6]);
                Assert.EndsWith("secret", Encoding.ASCII.GetString(connect), StringComparison.Ordinal);
                byte[] connAck = version == MqttVersion.V500 ? [0x20, 0x03, 0x00, 0x00, 0x00] : [0x20, 0x02, 0x00, 0x00];
                await socket.SendAsync(connAck, SocketFlags.None, cancellationToken);

                var received = new List<Received>();
                var inFlight = 0;
                var filled = 0;
                while (received.Count < expected)
                {
                    filled += await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cancellationToken);
                    var acks = new List<byte>();
                    var at = 0;
                    var batch = new List<byte[]>();
                    while (MqttCodec.TryReadPacket(buffer.AsSpan(at, filled - at), out var packetType, out var body, out var size))
                    {
                        at += size;
                        Assert.Equal(MqttCodec.Publish, packetType);
                        var publish = ParsePublish(body, version);
                        inFlight++;
                        received.Add(new Received(publish.Topic, publish.Seq, inFlight));
                        batch.Add(publish.Seq == refusedSeq
                            ? [0x40, 0x04, (byte)(publish.Id >> 8), (byte)publish.Id, 0x87, 0x00]
                            : [0x40, 0x02, (byte)(publish.Id >> 8), (byte)publish.Id]);
                    }

                    buffer.AsSpan(at, filled - at).CopyTo(buffer);
                    filled -= at;
                    batch.Reverse();
                    inFlight -= batch.Count;
                    foreach (var b in batch.SelectMany(p => p))
                    {
                        await socket.SendAsync(new[] { b }, SocketFlags.None, cancellationToken);
                    }
                }

                var (last, _) = await ReadPacketAsync(socket, buffer, cancellationToken);
                Assert.Equal(MqttCodec.Disconnect, last);
                return received;
            },
            cancellationToken);

    private static (string Topic, ushort Id, long Seq) ParsePublish(ReadOnlySpan<byte> body, MqttVersion version)
    {
        var topicLength = BinaryPrimitives.ReadUInt16BigEndian(body);
        var topic = Encoding.UTF8.GetString(body.Slice(2, topicLength));
        var id = BinaryPrimitives.ReadUInt16BigEndian(body[(2 + topicLength)..]);
        var payload = body[(2 + topicLength + 2 + (version == MqttVersion.V500 ? 1 : 0))..];
        using var json = JsonDocument.Parse(payload.ToArray());
        var seq = (long)json.RootElement[0].GetProperty("values").GetProperty("seq").GetDouble();
        Assert.Equal(NumberedPoint.TimeMs(BaseMs, seq), json.RootElement[0].GetProperty("time").GetInt64());
        return (topic, id, seq);
    }

    private static async Task<(byte Type, byte[] Body)> ReadPacketAsync(Socket socket, byte[] buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cancellationToken);
            Assert.True(read > 0, "the device closed the connection");
            filled += read;
            if (MqttCodec.TryReadPacket(buffer.AsSpan(0, filled), out var type, out var body, out _))
            {
                return (type, body.ToArray());
            }
        }
    }
}
