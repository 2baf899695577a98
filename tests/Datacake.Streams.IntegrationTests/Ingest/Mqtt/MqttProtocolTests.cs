using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Datacake.Streams.IntegrationTests.Core.RecordLog;

namespace Datacake.Streams.IntegrationTests.Ingest.Mqtt;

/// <summary>
/// The broker's own protocol handling on the wire, with packets written byte by byte on a real socket: batches of
/// publishes in one write, QoS 2, the limits before authentication, keep-alive, wills.
/// </summary>
public sealed class MqttProtocolTests : IAsyncLifetime
{
    private readonly TempLogDirectory _directory = new();
    private IngestTestHost _host = null!;

    public async Task InitializeAsync() => _host = await IngestTestHost.StartAsync(_directory.Path, new Dictionary<string, string?>
    {
        ["Ingest:Mqtt:ConnectTimeout"] = "00:00:01",
        ["Ingest:Mqtt:RevocationCheckInterval"] = "00:00:00.200",
    });

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _directory.Dispose();
    }

    private string Topic => $"devices/{_host.Device}/measurements";

    [Fact]
    public async Task Publishes_written_in_one_go_are_stored_and_acknowledged_in_their_order()
    {
        await using var client = await RawClient.ConnectAsync(_host, version: 5, _host.DeviceToken.Secret);
        var batch = new List<byte>();
        for (ushort id = 1; id <= 200; id++)
        {
            batch.AddRange(RawClient.Publish(Topic, $"{{\"n\":{id}}}", qos: 1, id, v5: true));
        }

        await client.SendAsync(batch.ToArray());
        for (ushort id = 1; id <= 200; id++)
        {
            var (header, body) = await client.ReadAsync();
            Assert.Equal(0x40, header);
            Assert.Equal(id, BinaryPrimitives.ReadUInt16BigEndian(body));
        }

        var stored = _host.ReadRaw();
        Assert.Equal(Enumerable.Range(1, 200).Select(n => $"{{\"n\":{n}}}"), stored.Select(r => Encoding.UTF8.GetString(r.Record.Payload.Span)));
        Assert.Equal(200, stored.Select(r => r.Record.MessageId).Distinct().Count());
    }

    [Fact]
    public async Task Qos2_is_stored_once_at_publish_and_released_with_pubcomp()
    {
        await using var client = await RawClient.ConnectAsync(_host, version: 4, _host.DeviceToken.Secret);
        await client.SendAsync(RawClient.Publish(Topic, "{\"q\":2}", qos: 2, packetId: 9, v5: false));
        var (pubrec, recBody) = await client.ReadAsync();
        Assert.Equal(0x50, pubrec);
        Assert.Equal(9, BinaryPrimitives.ReadUInt16BigEndian(recBody));
        Assert.Single(_host.ReadRaw());

        await client.SendAsync([0x62, 2, 0, 9]);
        var (pubcomp, compBody) = await client.ReadAsync();
        Assert.Equal(0x70, pubcomp);
        Assert.Equal(9, BinaryPrimitives.ReadUInt16BigEndian(compBody));
        Assert.Single(_host.ReadRaw());
    }

    [Fact]
    [Trait("Reliability", "mqtt-abuse")]
    public async Task A_connect_announcing_more_than_8_KiB_is_closed_before_authentication_without_being_read()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", _host.Mqtt.PlainEndpoint!.Port);
        var stream = tcp.GetStream();

        // CONNECT with a remaining length of 1 MiB (0x80 0x80 0x40), of which nothing follows.
        await stream.WriteAsync(new byte[] { 0x10, 0x80, 0x80, 0x40 });
        Assert.True(await RawClient.ClosedAsync(stream), "the broker kept a connection that announced a 1 MiB CONNECT");
        Assert.Equal(0, _host.Mqtt.SessionCount);
    }

    [Fact]
    [Trait("Reliability", "mqtt-abuse")]
    public async Task A_socket_that_sends_no_connect_is_closed_after_the_connect_timeout()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", _host.Mqtt.PlainEndpoint!.Port);
        var opened = DateTime.UtcNow;
        Assert.True(await RawClient.ClosedAsync(tcp.GetStream()), "a silent socket was kept open");
        Assert.InRange(DateTime.UtcNow - opened, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_client_silent_past_one_and_a_half_keep_alives_is_told_keep_alive_timeout_and_closed()
    {
        await using var client = await RawClient.ConnectAsync(_host, version: 5, _host.DeviceToken.Secret, keepAliveSeconds: 1);
        var connected = DateTime.UtcNow;
        var (header, body) = await client.ReadAsync();
        Assert.Equal(0xE0, header);
        Assert.Equal(0x8D, body[0]);
        Assert.InRange(DateTime.UtcNow - connected, TimeSpan.FromSeconds(1.4), TimeSpan.FromSeconds(5));
        Assert.True(await RawClient.ClosedAsync(client.Stream));
    }

    [Fact]
    public async Task A_will_is_stored_when_the_device_vanishes_and_not_when_it_says_goodbye()
    {
        var will = $"{{\"online\":false}}";
        await using (var vanishing = await RawClient.ConnectAsync(_host, version: 4, _host.DeviceToken.Secret, will: (Topic, will)))
        {
            await vanishing.PingAsync();
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (_host.ReadRaw().Count == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        var (record, _) = Assert.Single(_host.ReadRaw());
        Assert.Equal(will, Encoding.UTF8.GetString(record.Payload.Span));
        Assert.Equal(_host.Device, record.DeviceId);

        await using (var polite = await RawClient.ConnectAsync(_host, version: 4, _host.DeviceToken.Secret, will: (Topic, will)))
        {
            await polite.SendAsync([0xE0, 0]);
            Assert.True(await RawClient.ClosedAsync(polite.Stream));
        }

        // A publish after the goodbye's will would have come: it comes alone, so no will was appended before it.
        await using var after = await RawClient.ConnectAsync(_host, version: 4, _host.DeviceToken.Secret);
        await after.SendAsync(RawClient.Publish(Topic, "{\"n\":1}", qos: 1, packetId: 1, v5: false));
        Assert.Equal(0x40, (await after.ReadAsync()).Header);
        Assert.Equal(["{\"online\":false}", "{\"n\":1}"], _host.ReadRaw().Select(r => Encoding.UTF8.GetString(r.Record.Payload.Span)));
    }

    /// <summary>An MQTT client on a raw socket that writes what a test says.</summary>
    private sealed class RawClient(TcpClient tcp) : IAsyncDisposable
    {
        public NetworkStream Stream { get; } = tcp.GetStream();

        public static async Task<RawClient> ConnectAsync(IngestTestHost host, byte version, string token, ushort keepAliveSeconds = 60, (string Topic, string Payload)? will = null)
        {
            var tcp = new TcpClient();
            await tcp.ConnectAsync("127.0.0.1", host.Mqtt.PlainEndpoint!.Port);
            var client = new RawClient(tcp);
            var body = new List<byte>();
            body.AddRange(MqttPacketBytes.Utf8("MQTT"));
            body.Add(version);
            body.Add((byte)(0b1100_0010 | (will is null ? 0 : 0b100)));
            body.Add((byte)(keepAliveSeconds >> 8));
            body.Add((byte)keepAliveSeconds);
            if (version == 5)
            {
                body.Add(0);
            }

            body.AddRange(MqttPacketBytes.Utf8("raw-" + Guid.NewGuid().ToString("N")));
            if (will is { } w)
            {
                if (version == 5)
                {
                    body.Add(0);
                }

                body.AddRange(MqttPacketBytes.Utf8(w.Topic));
                body.AddRange(MqttPacketBytes.Utf8(w.Payload));
            }

            body.AddRange(MqttPacketBytes.Utf8("device"));
            body.AddRange(MqttPacketBytes.Utf8(token));
            await client.SendAsync(MqttPacketBytes.Packet(0x10, body));
            var (header, connack) = await client.ReadAsync();
            Assert.Equal(0x20, header);
            Assert.Equal(0, connack[1]);
            return client;
        }

        public static byte[] Publish(string topic, string payload, int qos, ushort packetId, bool v5)
        {
            var body = new List<byte>(MqttPacketBytes.Utf8(topic));
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
            return MqttPacketBytes.Packet((byte)(0x30 | (qos << 1)), body);
        }

        public async Task PingAsync()
        {
            await SendAsync([0xC0, 0]);
            Assert.Equal(0xD0, (await ReadAsync()).Header);
        }

        public async Task SendAsync(byte[] bytes) => await Stream.WriteAsync(bytes);

        public async Task<(byte Header, byte[] Body)> ReadAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var header = await ReadExactlyAsync(1, timeout.Token);
            var length = 0;
            for (var shift = 0; ; shift += 7)
            {
                var digit = (await ReadExactlyAsync(1, timeout.Token))[0];
                length |= (digit & 0x7F) << shift;
                if ((digit & 0x80) == 0)
                {
                    break;
                }
            }

            return (header[0], await ReadExactlyAsync(length, timeout.Token));
        }

        /// <summary>True once the broker closed the connection (read returns 0 or fails) within 10 s.</summary>
        public static async Task<bool> ClosedAsync(NetworkStream stream)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var buffer = new byte[256];
            try
            {
                while (await stream.ReadAsync(buffer, timeout.Token) > 0)
                {
                }

                return true;
            }
            catch (IOException)
            {
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        public ValueTask DisposeAsync()
        {
            tcp.Dispose();
            return ValueTask.CompletedTask;
        }

        private async Task<byte[]> ReadExactlyAsync(int count, CancellationToken cancellationToken)
        {
            var bytes = new byte[count];
            await Stream.ReadExactlyAsync(bytes, cancellationToken);
            return bytes;
        }
    }
}
