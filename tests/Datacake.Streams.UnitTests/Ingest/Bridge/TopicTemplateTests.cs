using CsCheck;
using Datacake.Streams.Ingest.Bridge;

namespace Datacake.Streams.UnitTests.Ingest.Bridge;

public class TopicTemplateTests
{
    [Theory]
    [InlineData("sensors/{devEui}/up", DeviceIdentityKind.DevEui, "sensors/+/up")]
    [InlineData("things/{serial}/data", DeviceIdentityKind.Serial, "things/+/data")]
    [InlineData("{deviceId}", DeviceIdentityKind.DeviceId, "+")]
    [InlineData("site/+/dev-{SERIAL}.v1/#", DeviceIdentityKind.Serial, "site/+/+/#")]
    public void A_template_names_its_identity_and_gives_the_subscription_filter(string text, DeviceIdentityKind identity, string filter)
    {
        Assert.True(TopicTemplate.TryParse(text, out var template, out var error), error);
        Assert.Equal(identity, template!.Identity);
        Assert.Equal(filter, template.Filter);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("sensors/up", "needs a placeholder")]
    [InlineData("sensors/{devEui}/{serial}", "one placeholder per template")]
    [InlineData("sensors/{name}/up", "unknown placeholder '{name}'")]
    [InlineData("sensors/{devEui/up", "one placeholder in braces")]
    [InlineData("sensors/{devEui}{serial}/up", "one placeholder in braces")]
    [InlineData("sensors/#/{devEui}", "'#' may only be the last segment")]
    [InlineData("sensors/a+/{devEui}", "stand alone")]
    public void A_bad_template_is_refused_with_a_reason(string text, string reason)
    {
        Assert.False(TopicTemplate.TryParse(text, out var template, out var error));
        Assert.Null(template);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sensors/{devEui}/up", "sensors/70B3D57ED0000001/up", "70B3D57ED0000001")]
    [InlineData("things/{serial}/data", "things/SN 42/data", "SN 42")]
    [InlineData("{deviceId}", "dev_0123", "dev_0123")]
    [InlineData("site/+/dev-{serial}.v1/#", "site/berlin/dev-A7.v1/x/y", "A7")]
    [InlineData("site/+/dev-{serial}.v1/#", "site/berlin/dev-A7.v1", "A7")]
    [InlineData("a/{serial}", "a/", null)]
    [InlineData("a/dev-{serial}", "a/dev-", null)]
    [InlineData("sensors/{devEui}/up", "sensors/70B3/down", null)]
    [InlineData("sensors/{devEui}/up", "sensors/70B3/up/more", null)]
    [InlineData("sensors/{devEui}/up", "sensors/70B3", null)]
    [InlineData("sensors/{devEui}/up", "other/70B3/up", null)]
    [InlineData("site/+/dev-{serial}.v1/#", "site/berlin/dev-A7.v2", null)]
    public void A_topic_matches_and_yields_the_placeholder_text(string text, string topic, string? expected)
    {
        Assert.True(TopicTemplate.TryParse(text, out var template, out _));
        var matched = template!.TryMatch(topic, out var range);
        Assert.Equal(expected is not null, matched);
        if (expected is not null)
        {
            Assert.Equal(expected, topic[range]);
        }
    }

    [Fact]
    public void Any_identity_put_into_a_template_comes_back_out()
    {
        var segment = Gen.Char['a', 'z'].Array[1, 8].Select(c => new string(c));
        var identity = Gen.Char.Where(c => c is not ('/' or '+' or '#' or '\0')).Array[1, 24].Select(c => new string(c));
        Gen.Select(segment.Array[0, 3], segment.Array[0, 3], identity).Sample((before, after, id) =>
        {
            var template = string.Join('/', [.. before, "x{serial}y", .. after]);
            Assert.True(TopicTemplate.TryParse(template, out var parsed, out var error), error);
            var topic = string.Join('/', [.. before, "x" + id + "y", .. after]);
            return parsed!.TryMatch(topic, out var range) && topic[range] == id;
        });
    }

    [Theory]
    [InlineData("a/+/b", true)]
    [InlineData("#", true)]
    [InlineData("a/#", true)]
    [InlineData("", false)]
    [InlineData("a/#/b", false)]
    [InlineData("a/b#", false)]
    [InlineData("a/+b", false)]
    public void Topic_filters_follow_the_mqtt_rules(string filter, bool valid)
    {
        Assert.Equal(valid, TopicFilter.IsValid(filter, out var error));
        Assert.Equal(valid, error is null);
    }
}
