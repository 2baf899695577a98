using System.Text;
using System.Text.Json;
using Datacake.Streams.Access;
using Datacake.Streams.Api.DeadLetters;
using Datacake.Streams.Payloads.DeadLetters;
using Datacake.Streams.Ids;
using Datacake.Streams.RecordLog;
using Datacake.Streams.Records;

namespace Datacake.Streams.UnitTests.Api.DeadLetters;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DeadLetterEntryTests
{
    private static readonly DateTimeOffset ReceivedAt = new(2026, 11, 30, 8, 15, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset RejectedAt = ReceivedAt.AddSeconds(2);
    private static readonly AdapterSigner Signer = new(AdapterKeyring.CreateRandom());

    [Fact]
    public void A_letter_after_authorization_shows_its_payload_receive_time_and_source_but_no_fingerprint_or_signature()
    {
        var device = DeviceId.New();
        var credential = TokenHash.Of(AccessToken.New().Secret);
        var original = Signed(device, """{"temperature":21.5}""", credential);
        Assert.True(DeadLetterEntry.TryCreate(device.ToBytes(), Letter(RejectReason.TooOld, original), 1_024, out var keyed, out var entry));

        Assert.Equal(device, keyed);
        Assert.Equal("too_old", entry!.Reason);
        Assert.Equal(RejectedAt, entry.RejectedAt);
        Assert.Equal(ReceivedAt, entry.ReceivedAt);
        Assert.Equal("http", entry.Source);
        Assert.Equal("""{"temperature":21.5}""", Encoding.UTF8.GetString(entry.Payload!));
        Assert.False(entry.PayloadTruncated);

        Assert.True(RawRecordCodec.TryDecode(original, out var raw, out _));
        var json = JsonSerializer.Serialize(entry, new JsonSerializerOptions(JsonSerializerDefaults.Web));
        Assert.DoesNotContain(Convert.ToBase64String(raw.Signature.Span), json, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(credential.ToBytes()), json, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexString(credential.ToBytes()), json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Convert.ToBase64String(original), json, StringComparison.Ordinal);
        Assert.Contains("\"payloadTruncated\":false", json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(RejectReason.BadEnvelope)]
    [InlineData(RejectReason.BadSignature)]
    [InlineData(RejectReason.UnknownCredential)]
    [InlineData(RejectReason.NotAuthorized)]
    public void A_letter_refused_before_authorization_shows_no_payload(RejectReason reason)
    {
        var device = DeviceId.New();
        Assert.True(DeadLetterEntry.TryCreate(device.ToBytes(), Letter(reason, Signed(device, """{"t":1}""")), 1_024, out _, out var entry));
        Assert.Equal(reason.Code(), entry!.Reason);
        Assert.Null(entry.Payload);
        Assert.Null(entry.PayloadSize);
    }

    [Fact]
    public void A_long_payload_is_cut_and_marked()
    {
        var device = DeviceId.New();
        var body = "{\"s\":\"" + new string('a', 5_000) + "\"}";
        Assert.True(DeadLetterEntry.TryCreate(device.ToBytes(), Letter(RejectReason.DecodeFailed, Signed(device, body)), 64, out _, out var entry));
        Assert.Equal(Encoding.UTF8.GetBytes(body)[..64], entry!.Payload);
        Assert.Equal(body.Length, entry.PayloadSize);
        Assert.True(entry.PayloadTruncated);
    }

    [Fact]
    public void An_envelope_of_another_device_or_none_gives_the_reason_only()
    {
        var device = DeviceId.New();
        Assert.True(DeadLetterEntry.TryCreate(device.ToBytes(), Letter(RejectReason.TooOld, Signed(DeviceId.New(), """{"t":1}""")), 1_024, out _, out var other));
        Assert.Null(other!.Payload);
        Assert.Null(other.ReceivedAt);
        Assert.Null(other.Source);

        Assert.True(DeadLetterEntry.TryCreate(device.ToBytes(), Letter(RejectReason.BadEnvelope, [1, 2, 3]), 1_024, out _, out var garbage));
        Assert.Equal("bad_envelope", garbage!.Reason);
        Assert.Null(garbage.Payload);
    }

    [Fact]
    public void A_letter_keyed_by_no_device_id_is_skipped()
    {
        Assert.False(DeadLetterEntry.TryCreate([1, 2, 3], Letter(RejectReason.BadEnvelope, [1]), 1_024, out _, out _));
    }

    [Fact]
    public void A_letter_read_from_the_topic_keeps_its_time()
    {
        var letter = Letter(RejectReason.RejectedByStore, [0, 1]);
        Assert.True(DeadLetterCodec.TryDecode(DeadLetterCodec.Encode(letter), out var decoded));
        Assert.Equal(RejectedAt, decoded!.RejectedAt);
    }

    private static DeadLetterRecord Letter(RejectReason reason, byte[] original) =>
        new(reason, "detail of " + reason.Code(), new LogPosition(0, 7), RejectedAt, original);

    private static byte[] Signed(DeviceId device, string payload, TokenHash credential = default) => Signer.EncodeSigned(new RawRecord
    {
        Version = RawRecord.CurrentVersion,
        DeviceId = device,
        Source = SourceKind.Http,
        ReceivedAtUnixNs = (ReceivedAt - DateTimeOffset.UnixEpoch).Ticks * 100,
        PayloadKind = PayloadKind.JsonValues,
        Payload = Encoding.UTF8.GetBytes(payload),
        Credential = credential,
        CredentialKind = CredentialKind.Token,
    });
}
