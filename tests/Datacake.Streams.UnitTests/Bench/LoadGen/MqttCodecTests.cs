using System.Text;
using Datacake.Streams.LoadGen.Mqtt;

namespace Datacake.Streams.UnitTests.Bench.LoadGen;

public sealed class MqttCodecTests
{
    [Fact]
    public void Connect_3_1_1_is_the_byte_layout_of_the_specification()
    {
        var packet = MqttCodec.EncodeConnect(MqttVersion.V311, "c1", "u", "pw", 60);

        byte[] expected =
        [
            0x10, 21,                              // CONNECT, remaining length
            0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 4, // protocol name, level 4
            0xC2, 0, 60,                           // user name + password + clean session, keep-alive
            0, 2, (byte)'c', (byte)'1',            // client id
            0, 1, (byte)'u',                       // user name
            0, 2, (byte)'p', (byte)'w',            // password
        ];
        Assert.Equal(expected, packet);
    }

    [Fact]
    public void Connect_5_adds_an_empty_property_list_and_leaves_out_absent_credentials()
    {
        var packet = MqttCodec.EncodeConnect(MqttVersion.V500, "c", null, null, 65535);

        byte[] expected = [0x10, 14, 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 5, 0x02, 0xFF, 0xFF, 0, 0, 1, (byte)'c'];
        Assert.Equal(expected, packet);
    }

    [Theory]
    [InlineData(0, new byte[] { 0x00 })]
    [InlineData(127, new byte[] { 0x7F })]
    [InlineData(128, new byte[] { 0x80, 0x01 })]
    [InlineData(16_383, new byte[] { 0xFF, 0x7F })]
    [InlineData(16_384, new byte[] { 0x80, 0x80, 0x01 })]
    [InlineData(2_097_151, new byte[] { 0xFF, 0xFF, 0x7F })]
    [InlineData(2_097_152, new byte[] { 0x80, 0x80, 0x80, 0x01 })]
    [InlineData(268_435_455, new byte[] { 0xFF, 0xFF, 0xFF, 0x7F })]
    public void Remaining_lengths_are_the_specification_examples(int value, byte[] encoded)
    {
        var buffer = new byte[4];
        var written = MqttCodec.WriteVariableInt(buffer, value);

        Assert.Equal(encoded, buffer[..written]);
        Assert.Equal(encoded.Length, MqttCodec.VariableIntSize(value));
    }

    [Fact]
    public void A_packet_is_read_only_once_it_arrived_whole()
    {
        var body = Enumerable.Range(0, 200).Select(i => (byte)i).ToArray();
        byte[] packet = [0x30, 0xC8, 0x01, .. body]; // PUBLISH, remaining length 200

        for (var cut = 0; cut < packet.Length; cut++)
        {
            Assert.False(MqttCodec.TryReadPacket(packet.AsSpan(0, cut), out _, out _, out _));
        }

        Assert.True(MqttCodec.TryReadPacket([.. packet, 0x40], out var type, out var read, out var size));
        Assert.Equal(MqttCodec.Publish, type);
        Assert.Equal(body, read.ToArray());
        Assert.Equal(packet.Length, size);
    }

    [Fact]
    public void A_remaining_length_of_five_bytes_is_not_MQTT()
    {
        byte[] packet = [0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01];

        Assert.Throws<InvalidDataException>(() => MqttCodec.TryReadPacket(packet, out _, out _, out _));
    }

    [Fact]
    public void Pubacks_of_both_versions_give_their_id_and_reason()
    {
        // 3.1.1, and 5 with the reason left out: success.
        Assert.True(ReadPubAck([0x40, 0x02, 0x12, 0x34], out var id, out var reason));
        Assert.Equal((0x1234, 0), (id, reason));

        // 5: "no matching subscribers" (0x10) is a success code, below 0x80.
        Assert.True(ReadPubAck([0x40, 0x03, 0x00, 0x07, 0x10], out id, out reason));
        Assert.Equal((7, 0x10), (id, reason));

        // 5: "not authorized" with a reason string property.
        Assert.True(ReadPubAck([0x40, 0x09, 0x00, 0x08, 0x87, 0x05, 0x1F, 0x00, 0x02, (byte)'n', (byte)'o'], out id, out reason));
        Assert.Equal((8, 0x87), (id, reason));
    }

    [Fact]
    public void Connack_codes_are_read_for_both_versions()
    {
        Assert.True(MqttCodec.TryReadPacket([0x20, 0x02, 0x00, 0x05], out var type, out var body, out _));
        Assert.Equal(MqttCodec.ConnAck, type);
        Assert.Equal(5, MqttCodec.ConnAckCode(body));

        Assert.True(MqttCodec.TryReadPacket([0x20, 0x03, 0x00, 0x00, 0x00], out _, out body, out _));
        Assert.Equal(0, MqttCodec.ConnAckCode(body));
    }

    [Fact]
    public void A_publish_template_3_1_1_at_QoS_1_carries_topic_id_and_payload()
    {
        var template = new PublishTemplate(MqttVersion.V311, 1, "a/b", Encoding.ASCII.GetBytes("xyz"));
        var packet = template.Bytes.ToArray();
        template.SetPacketId(packet, 0x0102);

        byte[] expected = [0x32, 10, 0, 3, (byte)'a', (byte)'/', (byte)'b', 0x01, 0x02, (byte)'x', (byte)'y', (byte)'z'];
        Assert.Equal(expected, packet);
        Assert.Equal("xyz", Encoding.ASCII.GetString(template.Payload(packet)));
    }

    [Fact]
    public void A_publish_template_5_at_QoS_0_has_no_packet_id_and_an_empty_property_list()
    {
        var template = new PublishTemplate(MqttVersion.V500, 0, "t", Encoding.ASCII.GetBytes("p"));

        byte[] expected = [0x30, 5, 0, 1, (byte)'t', 0, (byte)'p'];
        Assert.Equal(expected, template.Bytes);
        Assert.Equal(-1, template.PacketIdOffset);
    }

    [Fact]
    public void A_long_payload_gets_a_two_byte_remaining_length()
    {
        var template = new PublishTemplate(MqttVersion.V500, 1, "devices/d/measurements", new byte[300]);

        Assert.True(MqttCodec.TryReadPacket(template.Bytes, out var type, out var body, out var size));
        Assert.Equal(MqttCodec.Publish, type);
        Assert.Equal(template.Length, size);
        Assert.Equal(2 + 22 + 2 + 1 + 300, body.Length);
        Assert.Equal(1 + 2 + body.Length, template.Length);
    }

    private static bool ReadPubAck(byte[] packet, out int id, out int reason)
    {
        id = reason = -1;
        if (!MqttCodec.TryReadPacket(packet, out var type, out var body, out _) || type != MqttCodec.PubAck)
        {
            return false;
        }

        var ok = MqttCodec.TryReadPubAck(body, out var packetId, out var code);
        (id, reason) = (packetId, code);
        return ok;
    }
}
