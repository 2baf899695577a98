using System.Net;
using Datacake.Streams.IntegrationTests.EndToEnd;

namespace Datacake.Streams.IntegrationTests.Ingest.Mqtt;

/// <summary>
/// <c>GET /v1/ingest/mqtt</c> on the real executable: the broker's listeners as configured (the end-to-end host's
/// ports are random, so the defaults 1883/8883 cannot pass), to any signed-in caller, with no secret, and not to anyone
/// without a token.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class MqttSettingsApiTests(EndToEndHost e2e)
{
    [Fact]
    public async Task The_configured_listeners_are_told_to_every_signed_in_caller_and_nothing_else()
    {
        var device = await e2e.NewDeviceAsync("mqtt settings");
        foreach (var token in new[] { e2e.OwnerToken, e2e.OperatorToken, device.Token })
        {
            var answer = await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/ingest/mqtt", token);
            Assert.True(answer.Json.GetProperty("enabled").GetBoolean());
            Assert.Equal("127.0.0.1", answer.Json.GetProperty("plain").GetProperty("address").GetString());
            Assert.Equal(e2e.MqttPort, answer.Json.GetProperty("plain").GetProperty("port").GetInt32());
            Assert.Equal("127.0.0.1", answer.Json.GetProperty("tls").GetProperty("address").GetString());
            Assert.Equal(e2e.MqttTlsPort, answer.Json.GetProperty("tls").GetProperty("port").GetInt32());
            Assert.Equal(["enabled", "plain", "tls"], answer.Json.EnumerateObject().Select(p => p.Name).ToArray());
            Assert.DoesNotContain("dcs_", answer.Body, StringComparison.Ordinal);
        }

        await e2e.Api.ExpectAsync(HttpStatusCode.Unauthorized, HttpMethod.Get, "/v1/ingest/mqtt", null);
    }
}
