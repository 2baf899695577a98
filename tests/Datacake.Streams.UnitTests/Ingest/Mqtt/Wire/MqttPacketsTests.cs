using System.Buffers;
using System.Text;
using Datacake.Streams.Ingest.Mqtt.Wire;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Datacake.Streams.UnitTests.Ingest.Mqtt.Wire;

/// <summary>The broker's own packet codec against byte sequences written from the specifications' layouts.</summary>
public sealed class MqttPacketsTests
{
    [Fact]
    public void Frames_are_cut_whole_and_a_partial_one_waits_for_more()
    {
        // PINGREQ, then a PUBLISH of 200 body bytes (remaining length 200 = 0xC8 0x01), then half of a second PINGREQ.
        var publish = new byte[2 + 1 + 1 + 200];
        publish[0] = 0x30;
        publish[1] = 0xC8;
        publish[2] = 0x01;
        var bytes = new byte[] { 0xC0, 0x00 }.Concat(publish[..203]).Concat(new byte[] { 0xC0 }).ToArray();
        var buffer = new ReadOnlySequence<byte>(bytes);

        Assert.Equal(FrameStatus.Complete, MqttFrame.TryRead(ref buffer, 1024, out var first, out var firstBody));
        Assert.Equal(0xC0, first);
        Assert.Equal(0, firstBody.Length);
        Assert.Equal(FrameStatus.Complete, MqttFrame.TryRead(ref buffer, 1024, out var second, out var secondBody));
        Assert.Equal(0x30, second);
        Assert.Equal(200, secondBody.Length);
        Assert.Equal(FrameStatus.Incomplete, MqttFrame.TryRead(ref buffer, 1024, out _, out _));
        Assert.Equal(1, buffer.Length);
    }

    [Fact]
    public void A_length_over_the_limit_is_refused_before_its_body_arrives_and_a_fifth_length_byte_is_malformed()
    {
        // Announces 16,384 bytes (0x80 0x80 0x01) and sends none of them.
        var announced = new ReadOnlySequence<byte>(new byte[] { 0x30, 0x80, 0x80, 0x01 });
        Assert.Equal(FrameStatus.TooLarge, MqttFrame.TryRead(ref announced, 16_383, out _, out _));

        var fiveBytes = new ReadOnlySequence<byte>(new byte[] { 0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 });
        Assert.Equal(FrameStatus.Malformed, MqttFrame.TryRead(ref fiveBytes, MqttFrame.MaxRemainingLength, out _, out _));
    }

    [Fact]
    public void A_frame_split_across_segments_is_read_as_one()
    {
        var buffer = Segments([0x30], [0x05, 0x00], [0x01, (byte)'t', 0x7B, 0x7D]);
        Assert.Equal(FrameStatus.Complete, MqttFrame.TryRead(ref buffer, 1024, out var header, out var body));
        Assert.Equal(0x30, header);
        Assert.Equal(new byte[] { 0x00, 0x01, (byte)'t', 0x7B, 0x7D }, body.ToArray());
        Assert.Equal(0, buffer.Length);
    }

    [Fact]
    public void A_v311_connect_like_mosquitto_pubs_default_is_read()
    {
        // MQTT, level 4, flags: user name + password + clean session, keep-alive 60, empty client id.
        var body = Concat(Str("MQTT"), [4, 0b1100_0010, 0, 60], Str(""), Str("any"), Str("dcs_secret"));
        Assert.Equal(ConnectRequest.Refusal.None, ConnectRequest.TryParse(body, out var connect));
        Assert.Equal(MqttProtocolVersion.V311, connect.Version);
        Assert.True(connect.CleanStart);
        Assert.Equal(60, connect.KeepAliveSeconds);
        Assert.Equal(0u, connect.SessionExpirySeconds);
        Assert.Equal(string.Empty, connect.ClientId);
        Assert.Equal("any", connect.UserName);
        Assert.Equal("dcs_secret", connect.Password);
        Assert.Null(connect.WillTopic);
    }

    [Fact]
    public void A_v5_connect_carries_its_session_expiry_and_will_and_311_without_clean_session_keeps_its_session()
    {
        // Properties: Session Expiry Interval 300 (0x11), a user property (0x26). Will with its own empty properties.
        byte[] properties = [0x11, 0, 0, 0x01, 0x2C, 0x26, 0, 1, (byte)'k', 0, 1, (byte)'v'];
        var body = Concat(Str("MQTT"), [5, 0b1100_0100, 0, 30], [(byte)properties.Length], properties, Str("boiler-1"),
            [0], Str("devices/x/measurements"), Str("{\"online\":false}"), Str("u"), Str("p"));
        Assert.Equal(ConnectRequest.Refusal.None, ConnectRequest.TryParse(body, out var connect));
        Assert.True(connect.IsV5);
        Assert.False(connect.CleanStart);
        Assert.Equal(300u, connect.SessionExpirySeconds);
        Assert.Equal("boiler-1", connect.ClientId);
        Assert.Equal("devices/x/measurements", connect.WillTopic);
        Assert.Equal("{\"online\":false}", Encoding.UTF8.GetString(connect.WillPayload!));

        var persistent = Concat(Str("MQTT"), [4, 0b1100_0000, 0, 30], Str("boiler-1"), Str("u"), Str("p"));
        Assert.Equal(ConnectRequest.Refusal.None, ConnectRequest.TryParse(persistent, out var v311));
        Assert.Equal(uint.MaxValue, v311.SessionExpirySeconds);
    }

    [Theory]
    [InlineData("MQTT", 6, 0x84)]
    [InlineData("MQIsdp", 4, 0x84)]
    [InlineData("HTTP", 4, 0x82)]
    public void An_unknown_protocol_is_refused(string name, byte level, byte expected)
    {
        var body = Concat(Str(name), [level, 0b0000_0010, 0, 60], Str("c"));
        Assert.Equal((ConnectRequest.Refusal)expected, ConnectRequest.TryParse(body, out _));
    }

    [Fact]
    public void Reserved_flag_bits_trailing_bytes_and_enhanced_authentication_are_caught()
    {
        Assert.Equal(ConnectRequest.Refusal.MalformedPacket, ConnectRequest.TryParse(Concat(Str("MQTT"), [4, 0b0000_0011, 0, 60], Str("c")), out _));
        Assert.Equal(ConnectRequest.Refusal.MalformedPacket, ConnectRequest.TryParse(Concat(Str("MQTT"), [4, 0b0000_0010, 0, 60], Str("c"), [1]), out _));

        byte[] authentication = [0x15, 0, 5, (byte)'S', (byte)'C', (byte)'R', (byte)'A', (byte)'M'];
        var body = Concat(Str("MQTT"), [5, 0b0000_0010, 0, 60], [(byte)authentication.Length], authentication, Str("c"));
        Assert.Equal(ConnectRequest.Refusal.None, ConnectRequest.TryParse(body, out var connect));
        Assert.True(connect.AsksEnhancedAuthentication);
    }

    [Fact]
    public void A_publish_is_read_in_place_and_a_topic_alias_or_qos_3_is_refused()
    {
        var body = Concat(Str("devices/d/measurements"), [0x12, 0x34], [0], "{\"t\":1}"u8.ToArray());
        Assert.True(PublishPacket.TryParse(0x32, body, v5: true, out var publish, out _));
        Assert.Equal(1, publish.Qos);
        Assert.Equal(0x1234, publish.PacketId);
        Assert.Equal("devices/d/measurements", Encoding.UTF8.GetString(publish.Topic));
        Assert.Equal("{\"t\":1}", Encoding.UTF8.GetString(body.AsSpan(publish.PayloadOffset)));

        var aliased = Concat(Str("devices/d/measurements"), [0x00, 0x01], [3, 0x23, 0, 1], "{}"u8.ToArray());
        Assert.False(PublishPacket.TryParse(0x32, aliased, v5: true, out _, out var reason));
        Assert.Equal(0x94, reason);

        Assert.False(PublishPacket.TryParse(0x36, body, v5: true, out _, out reason));
        Assert.Equal(0x81, reason);

        // QoS 0 with DUP set is malformed; a QoS 1 packet id of 0 too.
        Assert.False(PublishPacket.TryParse(0x38, body, v5: false, out _, out _));
        Assert.False(PublishPacket.TryParse(0x32, Concat(Str("t"), [0, 0]), v5: false, out _, out _));
    }

    [Fact]
    public void Replies_have_the_layouts_of_both_versions()
    {
        var output = new ArrayBufferWriter<byte>();
        MqttReplies.ConnAck(output, v5: false, sessionPresent: true, MqttConnectReasonCode.BadUserNameOrPassword, null);
        Assert.Equal(new byte[] { 0x20, 2, 1, 4 }, output.WrittenSpan.ToArray());

        output.Clear();
        MqttReplies.ConnAck(output, v5: true, sessionPresent: false, MqttConnectReasonCode.Success, "dcs-1");
        Assert.Equal(new byte[] { 0x20, 11, 0, 0, 8, 0x12, 0, 5, (byte)'d', (byte)'c', (byte)'s', (byte)'-', (byte)'1' }, output.WrittenSpan.ToArray());

        output.Clear();
        MqttReplies.Acknowledge(output, MqttPacketType.PubAck, 0x0102);
        MqttReplies.Acknowledge(output, MqttPacketType.PubAck, 0x0103, (byte)MqttPubAckReasonCode.NotAuthorized);
        MqttReplies.Acknowledge(output, MqttPacketType.PubRec, 7);
        Assert.Equal(new byte[] { 0x40, 2, 1, 2, 0x40, 3, 1, 3, 0x87, 0x50, 2, 0, 7 }, output.WrittenSpan.ToArray());

        output.Clear();
        MqttReplies.SubAck(output, v5: true, 9, [0x00, 0x87]);
        MqttReplies.UnsubAck(output, v5: false, 10, 1);
        MqttReplies.PingResp(output);
        MqttReplies.Disconnect(output, MqttDisconnectReasonCode.PacketTooLarge);
        Assert.Equal(new byte[] { 0x90, 5, 0, 9, 0, 0x00, 0x87, 0xB0, 2, 0, 10, 0xD0, 0, 0xE0, 2, 0x95, 0 }, output.WrittenSpan.ToArray());
    }

    internal static byte[] Str(string text)
    {
        var utf8 = Encoding.UTF8.GetBytes(text);
        return [(byte)(utf8.Length >> 8), (byte)utf8.Length, .. utf8];
    }

    internal static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    private static ReadOnlySequence<byte> Segments(params byte[][] parts)
    {
        var first = new Segment(parts[0], 0);
        var last = first;
        foreach (var part in parts.Skip(1))
        {
            last = last.Append(part);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] bytes, long runningIndex)
        {
            Memory = bytes;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] bytes)
        {
            var next = new Segment(bytes, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
