using System.Net;
using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Ingest.Http;
using Datacake.Streams.Ingest.Mqtt;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.UnitTests.Ingest;

public sealed class IngestOptionsTests
{
    [Theory]
    [InlineData("0.0.0.0:1883")]
    [InlineData("10.1.2.3:1883")]
    [InlineData("*:1883")]
    public void A_plain_mqtt_listener_off_loopback_is_refused(string endpoint)
    {
        var result = new MqttIngestOptionsValidator().Validate(null, new MqttIngestOptions { PlainEndpoint = endpoint });
        Assert.True(result.Failed);
        Assert.Contains("loopback", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_are_valid_and_tls_needs_a_certificate()
    {
        Assert.True(new MqttIngestOptionsValidator().Validate(null, new MqttIngestOptions()).Succeeded && new HttpIngestOptionsValidator().Validate(null, new HttpIngestOptions()).Succeeded);
        Assert.True(new MqttIngestOptionsValidator().Validate(null, new MqttIngestOptions { PlainEndpoint = "[::1]:1883" }).Succeeded);
        var tls = new MqttIngestOptions { TlsEndpoint = "0.0.0.0:8883" };
        Assert.Contains("certificate", new MqttIngestOptionsValidator().Validate(null, tls).FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 1000)]
    [InlineData(1000, 0)]
    [InlineData(1_000_001, 1000)]
    [InlineData(1000, -1)]
    public void Connection_caps_outside_1_to_a_million_are_refused(int perAddress, int perCredential)
    {
        var result = new MqttIngestOptionsValidator().Validate(null, new MqttIngestOptions { MaxPendingConnectionsPerAddress = perAddress, MaxConnectionsPerCredential = perCredential });
        Assert.True(result.Failed);
        Assert.Contains("MaxConnectionsPerCredential", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void A_connection_counter_caps_each_key_alone_and_forgets_keys_at_zero()
    {
        var counter = new ConnectionCounter<IPAddress>(2);
        var a = IPAddress.Parse("127.0.0.2");
        var b = IPAddress.Parse("127.0.0.3");
        Assert.True(counter.TryAdd(b));
        Assert.True(counter.TryAdd(b));
        Assert.False(counter.TryAdd(b));
        Assert.True(counter.TryAdd(a));
        counter.Release(b);
        Assert.True(counter.TryAdd(b));
        counter.Release(a);
        counter.Release(a);
        Assert.Equal(1, counter.Keys);
    }

    [Fact]
    public void The_token_rate_limit_refills_over_time()
    {
        var clock = new FakeTimeProvider();
        var limiter = new TokenRateLimiter(new HttpIngestOptions { TokenRequestsPerSecond = 2, TokenBurst = 2 }, clock);
        var token = AccessToken.New().Hash;
        Assert.True(limiter.TryAcquire(token, out _));
        Assert.True(limiter.TryAcquire(token, out _));
        Assert.False(limiter.TryAcquire(token, out var retry));
        Assert.Equal(1, retry);
        clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.True(limiter.TryAcquire(token, out _));
        Assert.False(new TokenRateLimiter(new HttpIngestOptions(), clock).IsEnabled);
    }

    [Fact]
    public void Topics_name_exactly_one_device()
    {
        var device = DeviceId.New();
        Assert.True(MeasurementTopic.TryParsePublish($"devices/{device}/measurements", out var parsed));
        Assert.Equal(device, parsed);
        Assert.False(MeasurementTopic.TryParsePublish($"devices/{device}/measurements/x", out _));
        Assert.False(MeasurementTopic.TryParsePublish($"devices/+/measurements", out _));
        Assert.True(MeasurementTopic.TryParseSubscription($"devices/{device}/#", out parsed));
        Assert.Equal(device, parsed);
        Assert.True(MeasurementTopic.TryParseSubscription($"devices/{device}", out _));
        Assert.False(MeasurementTopic.TryParseSubscription("#", out _));
        Assert.False(MeasurementTopic.TryParseSubscription("devices/#", out _));
        Assert.False(MeasurementTopic.TryParseSubscription("devices/+/measurements", out _));
        Assert.False(MeasurementTopic.TryParseSubscription($"devices/{device}x/#", out _));
    }

    [Fact]
    public void A_qos1_message_key_repeats_for_a_redelivery_only()
    {
        var key = MqttIngestServer.MessageKey("sensor-7", 42, "{\"t\":1}"u8);
        Assert.Equal(key, MqttIngestServer.MessageKey("sensor-7", 42, "{\"t\":1}"u8));
        Assert.NotEqual(key, MqttIngestServer.MessageKey("sensor-7", 43, "{\"t\":1}"u8));
        Assert.NotEqual(key, MqttIngestServer.MessageKey("sensor-8", 42, "{\"t\":1}"u8));
        Assert.NotEqual(key, MqttIngestServer.MessageKey("sensor-7", 42, "{\"t\":2}"u8));
        Assert.DoesNotContain("sensor", key, StringComparison.Ordinal);
        Assert.Equal(MqttIngestServer.MessageKey(new string('c', 1000), 1, default), MqttIngestServer.MessageKey(new string('c', 1000), 1, default));
    }

    [Theory]
    [InlineData("sensor-7", 42, 10)]
    [InlineData("sensor-7", 65535, 5000)]
    public void A_qos1_message_key_is_the_first_128_bits_of_sha256_over_client_id_packet_id_and_payload(string clientId, int packetId, int payloadLength)
    {
        // Pinned: keys written by earlier versions must still match a redelivery after an upgrade.
        var payload = Enumerable.Range(0, payloadLength).Select(i => (byte)i).ToArray();
        var joined = Encoding.UTF8.GetBytes(clientId).Concat(new byte[] { 0, (byte)(packetId >> 8), (byte)packetId }).Concat(payload).ToArray();
        var expected = "mqtt:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(joined).AsSpan(0, 16));
        Assert.Equal(expected, MqttIngestServer.MessageKey(clientId, (ushort)packetId, payload));
    }

    [Fact]
    public void Only_json_media_types_and_printable_keys_pass()
    {
        Assert.True(DeviceIngestHandler.IsJson("application/json; charset=utf-8"));
        Assert.True(DeviceIngestHandler.IsJson("application/vnd.x+json"));
        Assert.False(DeviceIngestHandler.IsJson("text/plain"));
        Assert.False(DeviceIngestHandler.IsJson(null));
        Assert.True(DeviceIngestHandler.TryIdempotencyKey(default, out var none));
        Assert.Null(none);
        Assert.True(DeviceIngestHandler.TryIdempotencyKey("abc-123", out var key));
        Assert.Equal("abc-123", key);
        Assert.False(DeviceIngestHandler.TryIdempotencyKey(new string('k', 201), out _));
        Assert.False(DeviceIngestHandler.TryIdempotencyKey("has space", out _));
    }
}
