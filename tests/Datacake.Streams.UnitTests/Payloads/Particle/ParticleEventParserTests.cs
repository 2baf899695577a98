using System.Text.Json;
using System.Text;
using Datacake.Streams.Payloads.Envelopes;
using Datacake.Streams.Payloads.Particle;
using Datacake.Streams.UnitTests.Ingest.Webhooks;
using Datacake.Streams.UnitTests.Payloads.Networks;

namespace Datacake.Streams.UnitTests.Payloads.Particle;

public class ParticleEventParserTests
{
    [Fact]
    public void A_json_event_keys_on_coreid_published_at_and_a_hash_of_the_event()
    {
        var message = ParticleEventParser.ParseJson(Fixture.Bytes("particle-event.json"));

        Assert.Equal(WebhookMessageOutcome.Record, message.Outcome);
        Assert.Equal("e00fce68a1b2c3d4e5f6a7b8", message.ParticleId);
        Assert.Matches("^e00fce68a1b2c3d4e5f6a7b8/2024-05-14T09:41:27.519Z/[0-9a-f]{16}$", message.MessageId);
        Assert.Equal(Fixture.UnixNs("2024-05-14T09:41:27.519Z"), message.DeviceTimeUnixNs);
        Assert.Null(message.NormalizedPayload);
    }

    [Fact]
    public void A_form_event_gives_the_same_key_and_is_stored_as_the_equivalent_json()
    {
        var json = ParticleEventParser.ParseJson(Fixture.Bytes("particle-event.json"));
        var form = ParticleEventParser.ParseForm(Fixture.Bytes("particle-event.form"));

        Assert.Equal(WebhookMessageOutcome.Record, form.Outcome);
        Assert.Equal(json.MessageId, form.MessageId);
        Assert.Equal(json.DeviceTimeUnixNs, form.DeviceTimeUnixNs);
        using var stored = JsonDocument.Parse(form.NormalizedPayload!);
        Assert.Equal("greenhouse/climate", stored.RootElement.GetProperty("event").GetString());
        Assert.Equal("{\"temperature\":23.2,\"humidity\":41}", stored.RootElement.GetProperty("data").GetString());
        Assert.Equal("e00fce68a1b2c3d4e5f6a7b8", stored.RootElement.GetProperty("coreid").GetString());
    }

    [Fact]
    public void Data_is_optional()
    {
        var message = ParticleEventParser.ParseForm(Encoding.UTF8.GetBytes("event=boot&published_at=2024-05-14T09:41:27Z&coreid=abc"));
        Assert.Equal(WebhookMessageOutcome.Record, message.Outcome);
        Assert.Matches("^abc/2024-05-14T09:41:27Z/[0-9a-f]{16}$", message.MessageId);
    }

    [Theory]
    [InlineData("event=e&published_at=2024-05-14T09:41:27Z", "coreid")]
    [InlineData("coreid=c&published_at=2024-05-14T09:41:27Z", "event")]
    [InlineData("event=e&coreid=c&published_at=soon", "published_at")]
    [InlineData("event=e&event=f&coreid=c&published_at=2024-05-14T09:41:27Z", "event")]
    [InlineData("=x&event=e", "$")]
    public void A_bad_form_is_refused_with_the_field(string body, string path)
    {
        var message = ParticleEventParser.ParseForm(Encoding.UTF8.GetBytes(body));
        Assert.Equal(WebhookMessageOutcome.Malformed, message.Outcome);
        Assert.Equal(path, message.ErrorPath);
    }

    [Theory]
    [InlineData("{\"event\":\"e\",\"published_at\":\"2024-05-14T09:41:27Z\"}", "$.coreid")]
    [InlineData("{\"event\":\"e\",\"coreid\":7,\"published_at\":\"2024-05-14T09:41:27Z\"}", "$.coreid")]
    [InlineData("{\"event\":\"e\",\"coreid\":\"c\"}", "$.published_at")]
    [InlineData("\"event\"", "$")]
    public void A_bad_json_event_is_refused_with_its_path(string body, string path)
    {
        var message = ParticleEventParser.ParseJson(Encoding.UTF8.GetBytes(body));
        Assert.Equal(WebhookMessageOutcome.Malformed, message.Outcome);
        Assert.Equal(path, message.ErrorPath);
    }
}
