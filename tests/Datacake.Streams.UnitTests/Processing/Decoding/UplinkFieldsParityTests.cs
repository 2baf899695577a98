using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.Payloads.Fields;
using Datacake.Streams.Payloads.Networks;
using Datacake.Streams.Processing.Decoding;
using Datacake.Streams.Records;

namespace Datacake.Streams.UnitTests.Processing.Decoding;

/// <summary>
/// Issue 17, one contract: a record of the allow-listed fields (UPLINK_FIELDS, what ingest now writes) decodes to
/// exactly the points the sender's whole message gives, which is how records appended before the allow-list
/// (UPLINK_JSON, still in existing logs and backups) keep decoding; <see cref="UplinkDecoderTests"/> pins those.
/// </summary>
public sealed class UplinkFieldsParityTests
{
    private readonly UplinkDecoder _decoder = UplinkFixtures.Create().Decoder;

    public static TheoryData<SourceKind, string, string?> Messages => new()
    {
        { SourceKind.Tts, "tts-uplink-decoded.json", null },
        { SourceKind.Tts, "tts-uplink-raw.json", CayenneLpp.DecoderId },
        { SourceKind.Tts, "tts-uplink-raw.json", null },
        { SourceKind.ChirpStack, "chirpstack-uplink-object.json", CayenneLpp.DecoderId },
        { SourceKind.ChirpStack, "chirpstack-uplink-data.json", "dec_valve" },
        { SourceKind.ChirpStack, "chirpstack-status.json", null },
        { SourceKind.Helium, "helium-uplink-decoded.json", null },
        { SourceKind.Helium, "helium-uplink-raw.json", CayenneLpp.DecoderId },
        { SourceKind.Particle, "particle-number.json", null },
        { SourceKind.Particle, "particle-object.json", null },
        { SourceKind.Particle, "particle-text.json", null },
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void The_allowed_fields_decode_to_the_points_of_the_whole_message(SourceKind source, string fixture, string? decoderId)
    {
        var message = UplinkFixtures.Read(fixture);
        var fields = RecordPayload.Build(KindOf(source), message, "device")
            ?? throw new Xunit.Sdk.XunitException("the allow-list built nothing");
        var device = UplinkFixtures.Device(decoderId);

        var (wholeResult, whole) = Decode(UplinkFixtures.Record(source, message), device);
        var (allowedResult, allowed) = Decode(UplinkFixtures.Record(source, fields) with { PayloadKind = PayloadKind.UplinkFields }, device);

        Assert.Equal(wholeResult.Succeeded, allowedResult.Succeeded);
        Assert.Equal(Describe(whole.Values), Describe(allowed.Values));
        Assert.Equal(Describe(whole.Meta), Describe(allowed.Meta));
        Assert.True(fields.Length < message.Length, $"{fields.Length} bytes stored of a {message.Length}-byte message: {Encoding.UTF8.GetString(fields)}");
    }

    [Fact]
    public void A_fields_record_of_a_source_without_uplinks_fails_instead_of_throwing()
    {
        var record = UplinkFixtures.Record(SourceKind.Http, """{"device":"d"}"""u8.ToArray()) with { PayloadKind = PayloadKind.UplinkFields };
        Assert.False(_decoder.Decode(record, UplinkFixtures.Device(null), new DecodedPoints()).Succeeded);
    }

    private (DecodeResult Result, DecodedPoints Points) Decode(RawRecord record, DeviceEntry device)
    {
        var points = new DecodedPoints();
        return (_decoder.Decode(record, device, points), points);
    }

    private static WebhookKind KindOf(SourceKind source) => source switch
    {
        SourceKind.Tts => WebhookKind.Tts,
        SourceKind.ChirpStack => WebhookKind.ChirpStack,
        SourceKind.Helium => WebhookKind.Helium,
        _ => WebhookKind.Particle,
    };

    private static string[] Describe(IReadOnlyList<DecodedField> fields) =>
        [.. fields.Select(f => FormattableString.Invariant($"{f.Name}={f.Value}"))];
}
