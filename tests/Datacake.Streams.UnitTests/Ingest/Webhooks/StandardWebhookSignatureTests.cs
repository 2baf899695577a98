using System.Globalization;
using System.Text;
using Datacake.Streams.Ingest.Webhooks;
using Datacake.Streams.UnitTests.Payloads.Networks;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.UnitTests.Ingest.Webhooks;

public class StandardWebhookSignatureTests
{
    private static readonly byte[] _secret = Encoding.UTF8.GetBytes("a-32-byte-standard-webhooks-key!");
    private static readonly byte[] _body = Fixture.Bytes("tts-uplink.json");
    private static readonly TimeSpan _tolerance = TimeSpan.FromMinutes(5);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2024, 5, 14, 9, 41, 28, TimeSpan.Zero));

    [Fact]
    public void A_signature_made_with_the_secret_is_valid()
    {
        var stamp = Stamp(_clock.GetUtcNow());
        var signature = StandardWebhookSignature.Sign(_secret, "msg_1", stamp, _body);
        Assert.StartsWith("v1,", signature, StringComparison.Ordinal);
        Assert.Equal(SignatureCheck.Valid, Verify("msg_1", stamp, signature));
    }

    [Fact]
    public void The_signed_content_is_id_dot_timestamp_dot_body()
    {
        // Independent of Compute: HMAC-SHA256 over the concatenation, as the Standard Webhooks spec defines it.
        var stamp = Stamp(_clock.GetUtcNow());
        var content = Encoding.UTF8.GetBytes("msg_1." + stamp + ".").Concat(_body).ToArray();
        var expected = "v1," + Convert.ToBase64String(System.Security.Cryptography.HMACSHA256.HashData(_secret, content));
        Assert.Equal(SignatureCheck.Valid, Verify("msg_1", stamp, expected));
    }

    [Fact]
    public void One_matching_entry_among_several_is_enough()
    {
        var stamp = Stamp(_clock.GetUtcNow());
        var good = StandardWebhookSignature.Sign(_secret, "msg_1", stamp, _body);
        var other = StandardWebhookSignature.Sign("another-key-of-another-rotation!"u8, "msg_1", stamp, _body);
        Assert.Equal(SignatureCheck.Valid, Verify("msg_1", stamp, $"v1a,xyz {other} {good}"));
    }

    [Fact]
    [Trait("Reliability", "webhook-signature")]
    public void A_changed_body_id_or_secret_does_not_match()
    {
        var stamp = Stamp(_clock.GetUtcNow());
        var signature = StandardWebhookSignature.Sign(_secret, "msg_1", stamp, _body);
        var tampered = (byte[])_body.Clone();
        tampered[10] ^= 1;

        Assert.Equal(SignatureCheck.Mismatch, StandardWebhookSignature.Verify(_secret, "msg_1", stamp, signature, tampered, _clock.GetUtcNow(), _tolerance));
        Assert.Equal(SignatureCheck.Mismatch, Verify("msg_2", stamp, signature));
        Assert.Equal(SignatureCheck.Mismatch, StandardWebhookSignature.Verify("wrong"u8, "msg_1", stamp, signature, _body, _clock.GetUtcNow(), _tolerance));
        Assert.Equal(SignatureCheck.Mismatch, Verify("msg_1", stamp, "v1,!!notbase64!!"));
        Assert.Equal(SignatureCheck.Mismatch, Verify("msg_1", stamp, "v2," + signature[3..]));
    }

    [Theory]
    [InlineData(null, "1715679688", "v1,AAAA")]
    [InlineData("msg_1", null, "v1,AAAA")]
    [InlineData("msg_1", "1715679688", null)]
    [InlineData("msg_1", "17156.79688", "v1,AAAA")]
    [InlineData("msg_1", "-1715679688", "v1,AAAA")]
    public void Missing_or_unreadable_headers_are_missing(string? id, string? stamp, string? signature) =>
        Assert.Equal(SignatureCheck.Missing, Verify(id, stamp, signature));

    [Theory]
    [InlineData(-301, SignatureCheck.Stale)]
    [InlineData(-299, SignatureCheck.Valid)]
    [InlineData(299, SignatureCheck.Valid)]
    [InlineData(301, SignatureCheck.Stale)]
    public void The_timestamp_must_be_within_five_minutes_of_now(int offsetSeconds, SignatureCheck expected)
    {
        var stamp = Stamp(_clock.GetUtcNow().AddSeconds(offsetSeconds));
        var signature = StandardWebhookSignature.Sign(_secret, "msg_1", stamp, _body);
        Assert.Equal(expected, Verify("msg_1", stamp, signature));
    }

    [Fact]
    [Trait("Reliability", "webhook-replay")]
    public void A_valid_delivery_goes_stale_as_the_clock_moves_on()
    {
        var stamp = Stamp(_clock.GetUtcNow());
        var signature = StandardWebhookSignature.Sign(_secret, "msg_1", stamp, _body);
        Assert.Equal(SignatureCheck.Valid, Verify("msg_1", stamp, signature));
        _clock.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        Assert.Equal(SignatureCheck.Stale, Verify("msg_1", stamp, signature));
    }

    private SignatureCheck Verify(string? id, string? stamp, string? signature) =>
        StandardWebhookSignature.Verify(_secret, id, stamp, signature, _body, _clock.GetUtcNow(), _tolerance);

    private static string Stamp(DateTimeOffset at) => at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
}
