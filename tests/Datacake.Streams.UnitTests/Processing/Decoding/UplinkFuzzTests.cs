using System.Text;
using CsCheck;
using Datacake.Streams.Payloads.Fields;
using Datacake.Streams.Processing.Decoding;
using Datacake.Streams.Records;

namespace Datacake.Streams.UnitTests.Processing.Decoding;

/// <summary>Malformed uplinks of every source: failures with a reason, never an exception.</summary>
public sealed class UplinkFuzzTests
{
    private static readonly SourceKind[] _sources = [SourceKind.Tts, SourceKind.ChirpStack, SourceKind.Helium, SourceKind.Particle];

    private static readonly string[] _fixtures =
    [
        "tts-uplink-decoded.json", "tts-uplink-raw.json", "chirpstack-uplink-object.json", "chirpstack-uplink-data.json",
        "helium-uplink-decoded.json", "helium-uplink-raw.json", "particle-object.json",
    ];

    private static readonly string[] _shapes =
        ["null", "1", "\"x\"", "[]", "{}", "[1,2]", "{\"a\":{\"b\":{\"c\":{\"d\":1}}}}", "true", "\"AAEC\"", "{\"x\":null}"];

    private readonly UplinkDecoder _decoder = UplinkFixtures.Create().Decoder;

    [Fact]
    public void Random_bytes_always_fail()
    {
        Gen.Select(Gen.Int[0, _sources.Length - 1], Gen.Byte.Array[0, 300]).Sample((source, bytes) =>
        {
            var result = Decode(_sources[source], bytes, CayenneLpp.DecoderId);
            Assert.False(result.Succeeded);
            Assert.False(string.IsNullOrEmpty(result.Error));
        }, iter: 10_000);
    }

    [Fact]
    public void Truncated_fixtures_always_fail()
    {
        var fixtures = _fixtures.Select(name => UplinkFixtures.Read(name).AsSpan().TrimEnd((byte)'\n').ToArray()).ToArray();
        Gen.Select(Gen.Int[0, fixtures.Length - 1], Gen.Int[0, _sources.Length - 1], Gen.Double[0, 0.999]).Sample((f, source, fraction) =>
        {
            var bytes = fixtures[f];
            var cut = bytes.AsSpan(0, (int)(bytes.Length * fraction)).ToArray();
            Assert.False(Decode(_sources[source], cut, "dec_valve").Succeeded);
        }, iter: 10_000);
    }

    [Fact]
    [Trait("Reliability", "fuzzing")]
    public void Mutated_fixtures_and_wrong_shapes_never_throw()
    {
        var fixtures = _fixtures.Select(UplinkFixtures.Read).ToArray();
        Gen.Select(Gen.Int[0, fixtures.Length - 1], Gen.Int[0, _sources.Length - 1], Gen.Int[0, 4000], Gen.Byte).Sample((f, source, at, value) =>
        {
            var bytes = (byte[])fixtures[f].Clone();
            bytes[at % bytes.Length] = value;
            var result = Decode(_sources[source], bytes, f % 2 == 0 ? CayenneLpp.DecoderId : "dec_valve");
            Assert.True(result.Succeeded || result.Error is not null);
        }, iter: 10_000);

        // Valid JSON of the wrong shape where each source expects objects, strings and numbers.
        var shapes = Gen.Int[0, _shapes.Length - 1].Select(i => _shapes[i]);
        Gen.Select(Gen.Int[0, _sources.Length - 1], shapes, shapes, shapes).Sample((source, a, b, c) =>
        {
            var json = $"{{\"uplink_message\":{{\"decoded_payload\":{a},\"frm_payload\":{b},\"rx_metadata\":{c},\"f_port\":{a}}},"
                + $"\"object\":{a},\"data\":{b},\"rxInfo\":{c},\"fPort\":{b},\"decoded\":{{\"payload\":{a}}},\"payload\":{b},\"hotspots\":{c},\"port\":{a}}}";
            var result = Decode(_sources[source], Encoding.UTF8.GetBytes(json), CayenneLpp.DecoderId);
            Assert.True(result.Succeeded || result.Error is not null);
        }, iter: 10_000);
    }

    private DecodeResult Decode(SourceKind source, byte[] payload, string decoderId) =>
        _decoder.Decode(UplinkFixtures.Record(source, payload), UplinkFixtures.Device(decoderId), new DecodedPoints());
}
