using System.Buffers;
using Datacake.Streams.Ingest.Mqtt.Wire;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Datacake.Streams.UnitTests.Ingest.Mqtt.Wire;

/// <summary>
/// The bridge's client packets against the broker's own parsers and writers: what one side writes, the other reads,
/// on MQTT 3.1.1 and 5.
/// </summary>
public sealed class MqttClientPacketsTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_connect_reads_back_as_a_persistent_session_with_its_credentials(bool v5)
    {
        var output = new ArrayBufferWriter<byte>();
        MqttClientPackets.Connect(output, v5, "dcs-bridge-plant-2", 30, "bridge-user", "pä$$", 604_800, 256);

        var body = Frame(output.WrittenMemory, out var header);
        Assert.Equal(0x10, header);
        Assert.Equal(ConnectRequest.Refusal.None, ConnectRequest.TryParse(body.Span, out var connect));
        Assert.Equal(v5 ? MqttProtocolVersion.V500 : MqttProtocolVersion.V311, connect.Version);
        Assert.False(connect.CleanStart);
        Assert.Equal(30, connect.KeepAliveSeconds);
        Assert.Equal("dcs-bridge-plant-2", connect.ClientId);
        Assert.Equal("bridge-user", connect.UserName);
        Assert.Equal("pä$$", connect.Password);
        // A 3.1.1 persistent session has no expiry of its own: it lasts until the broker ends it.
        Assert.Equal(v5 ? 604_800u : uint.MaxValue, connect.SessionExpirySeconds);
    }

    [Fact]
    public void A_connect_without_user_name_carries_no_password_flag()
    {
        var output = new ArrayBufferWriter<byte>();
        MqttClientPackets.Connect(output, v5: false, "id", 60, username: null, password: "ignored", 0, 20);

        var body = Frame(output.WrittenMemory, out _);
        Assert.Equal(0, body.Span[7] & 0xC0);
        Assert.Equal(ConnectRequest.Refusal.None, ConnectRequest.TryParse(body.Span, out var connect));
        Assert.Null(connect.UserName);
        Assert.Null(connect.Password);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_brokers_connack_and_suback_read_back(bool v5)
    {
        var output = new ArrayBufferWriter<byte>();
        MqttReplies.ConnAck(output, v5, sessionPresent: true, MqttConnectReasonCode.Success, assignedClientId: v5 ? "assigned" : null);
        var connAck = Frame(output.WrittenMemory, out var header);
        Assert.True(MqttClientPackets.TryParseConnAck(header, connAck.Span, v5, out var present, out var code));
        Assert.True(present);
        Assert.Equal(0, code);

        output.Clear();
        MqttReplies.ConnAck(output, v5, sessionPresent: false, MqttConnectReasonCode.NotAuthorized, null);
        connAck = Frame(output.WrittenMemory, out header);
        Assert.True(MqttClientPackets.TryParseConnAck(header, connAck.Span, v5, out present, out code));
        Assert.False(present);
        Assert.NotEqual(0, code);

        output.Clear();
        MqttReplies.SubAck(output, v5, 7, [1, 0x87]);
        var subAck = Frame(output.WrittenMemory, out header);
        Assert.True(MqttClientPackets.TryParseSubAck(header, subAck.Span, v5, out var packetId, out var codes));
        Assert.Equal(7, packetId);
        Assert.Equal(new byte[] { 1, 0x87 }, codes.ToArray());
    }

    [Fact]
    public void A_subscribe_lists_every_filter_at_its_qos()
    {
        var output = new ArrayBufferWriter<byte>();
        MqttClientPackets.Subscribe(output, v5: true, 1, ["$share/dcs-a/sensors/+/up", "b/#"], 1);

        var body = Frame(output.WrittenMemory, out var header).Span;
        Assert.Equal(0x82, header);
        Assert.Equal(new byte[] { 0, 1, 0 }, body[..3].ToArray());
        var reader = new MqttReader(body[3..]);
        Assert.True(reader.TryReadString(out var first));
        Assert.True(reader.TryReadByte(out var firstQos));
        Assert.True(reader.TryReadString(out var second));
        Assert.True(reader.TryReadByte(out var secondQos));
        Assert.Equal(0, reader.Remaining);
        Assert.Equal(("$share/dcs-a/sensors/+/up", 1, "b/#", 1), (first, (int)firstQos, second, (int)secondQos));
    }

    [Fact]
    public void Connack_and_suback_of_the_wrong_shape_are_refused()
    {
        Assert.False(MqttClientPackets.TryParseConnAck(0x20, [0x02, 0x00], v5: false, out _, out _));
        Assert.False(MqttClientPackets.TryParseConnAck(0x30, [0x00, 0x00], v5: false, out _, out _));
        Assert.False(MqttClientPackets.TryParseConnAck(0x20, [0x00], v5: false, out _, out _));
        Assert.False(MqttClientPackets.TryParseSubAck(0x90, [0x00, 0x01], v5: false, out _, out _));
    }

    [Fact]
    public void The_fixed_header_alone_gives_the_length_of_a_packet_not_yet_arrived()
    {
        // A PUBLISH announcing 2,097,152 bytes (0x80 0x80 0x80 0x01) of which only its header is here.
        var buffer = new ReadOnlySequence<byte>(new byte[] { 0x32, 0x80, 0x80, 0x80, 0x01, 0x00 });
        Assert.Equal(FrameStatus.Complete, MqttFrame.TryReadFixedHeader(buffer, out var header, out var length, out var headerLength));
        Assert.Equal((0x32, 2_097_152, 5), (header, length, headerLength));
        Assert.Equal(FrameStatus.TooLarge, MqttFrame.TryRead(ref buffer, 1_000_000, out _, out _));
    }

    private static ReadOnlyMemory<byte> Frame(ReadOnlyMemory<byte> packet, out byte header)
    {
        var buffer = new ReadOnlySequence<byte>(packet);
        Assert.Equal(FrameStatus.Complete, MqttFrame.TryRead(ref buffer, MqttFrame.MaxRemainingLength, out header, out var body));
        Assert.Equal(0, buffer.Length);
        return body.ToArray();
    }
}
