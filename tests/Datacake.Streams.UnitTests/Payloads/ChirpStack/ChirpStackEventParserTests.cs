using System.Text;
using Datacake.Streams.Payloads.ChirpStack;
using Datacake.Streams.Payloads.Envelopes;
using Datacake.Streams.UnitTests.Ingest.Webhooks;
using Datacake.Streams.UnitTests.Payloads.Networks;

namespace Datacake.Streams.UnitTests.Payloads.ChirpStack;

public class ChirpStackEventParserTests
{
    [Fact]
    public void An_up_event_gives_deduplication_id_counter_devaddr_session_and_time()
    {
        var message = ChirpStackEventParser.Parse(Fixture.Bytes("chirpstack-up.json"), "up");

        Assert.Equal(WebhookMessageOutcome.Record, message.Outcome);
        Assert.Equal("A84041000181C0DE", message.DevEui);
        Assert.Equal("5f0c7a3e-9b41-4d2a-8c55-1e7f3a9b2d64", message.MessageId);
        Assert.Equal(65535u, message.FrameCounter);
        Assert.Equal("01fe6a2b", message.Session);
        Assert.Equal(1u, message.Port);
        Assert.Equal(Fixture.UnixNs("2024-05-14T09:41:27.775023200Z") + 42, message.DeviceTimeUnixNs);
    }

    [Fact]
    public void Omitted_zero_counter_and_port_read_as_zero_and_a_32_bit_counter_as_is()
    {
        var zero = ChirpStackEventParser.Parse(Encoding.UTF8.GetBytes(
            "{\"deduplicationId\":\"d1\",\"deviceInfo\":{\"devEui\":\"a84041000181c0de\"},\"devAddr\":\"01fe6a2b\"}"), "up");
        Assert.Equal(0u, zero.FrameCounter);
        Assert.Equal(0u, zero.Port);
        Assert.Null(zero.DeviceTimeUnixNs);

        var large = ChirpStackEventParser.Parse(Encoding.UTF8.GetBytes(
            "{\"deduplicationId\":\"d2\",\"deviceInfo\":{\"devEui\":\"a84041000181c0de\"},\"fCnt\":65536}"), "up");
        Assert.Equal(65536u, large.FrameCounter);
    }

    [Fact]
    public void A_status_event_is_a_metadata_record_with_its_own_message_id()
    {
        var message = ChirpStackEventParser.Parse(Fixture.Bytes("chirpstack-status.json"), "status");

        Assert.Equal(WebhookMessageOutcome.Record, message.Outcome);
        Assert.Equal("A84041000181C0DE", message.DevEui);

        // The status event reuses the deduplicationId of its uplink: without the prefix one would drop the other.
        Assert.Equal("status/5f0c7a3e-9b41-4d2a-8c55-1e7f3a9b2d64", message.MessageId);
        Assert.Null(message.FrameCounter);
        Assert.Null(message.Port);
    }

    [Theory]
    [InlineData("join")]
    [InlineData("ack")]
    [InlineData("txack")]
    [InlineData("log")]
    [InlineData("location")]
    [InlineData("integration")]
    public void Other_events_are_acknowledged_and_ignored(string eventType)
    {
        var message = ChirpStackEventParser.Parse(Fixture.Bytes("chirpstack-join.json"), eventType);
        Assert.Equal(WebhookMessageOutcome.Ignored, message.Outcome);
        Assert.Equal(eventType, message.IgnoredEvent);
    }

    [Theory]
    [InlineData("{\"deviceInfo\":{\"devEui\":\"a84041000181c0de\"}}", "$.deduplicationId")]
    [InlineData("{\"deduplicationId\":\"d\"}", "$.deviceInfo.devEui")]
    [InlineData("{\"deduplicationId\":\"d\",\"deviceInfo\":{\"devEui\":\"zz\"}}", "$.deviceInfo.devEui")]
    [InlineData("{\"deduplicationId\":\"d\",\"deviceInfo\":{\"devEui\":\"a84041000181c0de\"},\"fCnt\":4294967296}", "$.fCnt")]
    [InlineData("{\"deduplicationId\":\"d\",\"deviceInfo\":{\"devEui\":\"a84041000181c0de\"},\"data\":7}", "$.data")]
    [InlineData("{\"deduplicationId\":\"d\",\"deviceInfo\":{\"devEui\":\"a84041000181c0de\"},\"object\":[]}", "$.object")]
    [InlineData("{\"deduplicationId\":\"d\",\"deviceInfo\":[]}", "$.deviceInfo")]
    [InlineData("{\"deduplicationId\":\"d\",\"deduplicationId\":\"e\"}", "$.deduplicationId")]
    public void A_bad_up_event_is_refused_with_its_path(string body, string path)
    {
        var message = ChirpStackEventParser.Parse(Encoding.UTF8.GetBytes(body), "up");
        Assert.Equal(WebhookMessageOutcome.Malformed, message.Outcome);
        Assert.Equal(path, message.ErrorPath);
    }

    [Fact]
    public void Without_the_event_query_the_body_is_refused()
    {
        var message = ChirpStackEventParser.Parse(Fixture.Bytes("chirpstack-up.json"), null);
        Assert.Equal(WebhookMessageOutcome.Malformed, message.Outcome);
        Assert.Equal("?event", message.ErrorPath);
    }
}
