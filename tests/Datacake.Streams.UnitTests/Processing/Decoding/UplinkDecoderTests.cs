using Datacake.Streams.Payloads.Fields;
using Datacake.Streams.Processing.Decoding;
using Datacake.Streams.Records;

namespace Datacake.Streams.UnitTests.Processing.Decoding;

public sealed class UplinkDecoderTests
{
    private readonly UplinkDecoder _decoder = UplinkFixtures.Create().Decoder;

    [Fact]
    public void Tts_decoded_payload_is_preferred_and_rx_metadata_gives_the_best_gateway()
    {
        var points = Decode(SourceKind.Tts, "tts-uplink-decoded.json", decoderId: null);

        Assert.Equal(
            ["temperature=21.5", "humidity=48", "env.co2=612", "env.voc.index=101", "door_open=False", "state=ok", "accel.0=0.01", "accel.1=-0.02", "accel.2=0.98"],
            Describe(points.Values));
        Assert.Equal(["gateways=3", "rssi=-50", "snr=9.25", "f_cnt=42", "f_port=2", "battery=87.5"], Describe(points.Meta));
    }

    [Fact]
    public void Tts_without_decoded_payload_runs_frm_payload_through_the_device_decoder()
    {
        var points = Decode(SourceKind.Tts, "tts-uplink-raw.json", CayenneLpp.DecoderId);

        Assert.Equal(["temperature_3=27.2", "temperature_5=25.5"], Describe(points.Values));
        Assert.Equal(["gateways=1", "rssi=-97", "snr=4.5", "f_cnt=7", "f_port=1"], Describe(points.Meta));
    }

    [Fact]
    public void Tts_raw_bytes_without_a_device_decoder_fail()
    {
        var result = Fail(SourceKind.Tts, "tts-uplink-raw.json", decoderId: null);

        Assert.Contains("no payload decoder", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Tts_events_other_than_uplinks_fail()
    {
        Assert.Contains("no uplink_message", Fail(SourceKind.Tts, "tts-join-accept.json", null).Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ChirpStack_object_is_preferred_and_rx_info_is_meta()
    {
        var points = Decode(SourceKind.ChirpStack, "chirpstack-uplink-object.json", CayenneLpp.DecoderId);

        Assert.Equal(["temperatureSensor.1=25", "humiditySensor.1=32", "battery_ok=True"], Describe(points.Values));
        Assert.Equal(["gateways=2", "rssi=-36", "snr=10.5", "f_cnt=10", "f_port=1"], Describe(points.Meta));
    }

    [Fact]
    public void ChirpStack_data_goes_through_the_workspace_javascript_decoder()
    {
        var points = Decode(SourceKind.ChirpStack, "chirpstack-uplink-data.json", "dec_valve");

        Assert.Equal(["temperature=23.45", "valve=True"], Describe(points.Values));
        Assert.Equal(["gateways=1", "rssi=-71", "snr=8.25", "f_cnt=11", "f_port=5"], Describe(points.Meta));
    }

    [Fact]
    public void A_decoder_of_another_workspace_is_refused()
    {
        var (decoder, _) = UplinkFixtures.Create();
        var record = UplinkFixtures.Record(SourceKind.ChirpStack, UplinkFixtures.Read("chirpstack-uplink-data.json"));

        var result = decoder.Decode(record, UplinkFixtures.Device("dec_valve", workspace: "ws_2"), new DecodedPoints());

        Assert.Equal("decoder dec_valve belongs to another workspace", result.Error);
    }

    [Fact]
    public void ChirpStack_status_event_writes_battery_and_margin_only()
    {
        var points = Decode(SourceKind.ChirpStack, "chirpstack-status.json", null);

        Assert.Empty(points.Values);
        Assert.Equal(["battery=92.5", "margin=7"], Describe(points.Meta));
    }

    [Fact]
    public void Helium_decoded_payload_and_hotspots()
    {
        var points = Decode(SourceKind.Helium, "helium-uplink-decoded.json", null);

        Assert.Equal(["pm25=12.5", "pm10=20"], Describe(points.Values));
        Assert.Equal(["gateways=2", "rssi=-51", "snr=9", "f_cnt=19", "f_port=1"], Describe(points.Meta));
    }

    [Fact]
    public void Helium_payload_goes_through_the_device_decoder()
    {
        var points = Decode(SourceKind.Helium, "helium-uplink-raw.json", CayenneLpp.DecoderId);

        Assert.Equal(["temperature_3=27.2", "temperature_5=25.5"], Describe(points.Values));
        Assert.Equal(["gateways=1", "rssi=-101", "snr=-2.5", "f_cnt=20", "f_port=3"], Describe(points.Meta));
    }

    [Fact]
    public void Particle_number_object_and_text()
    {
        Assert.Equal(["value=23.75"], Describe(Decode(SourceKind.Particle, "particle-number.json", null).Values));
        Assert.Equal(["temperature=23.75", "humidity=41", "charging=True"], Describe(Decode(SourceKind.Particle, "particle-object.json", null).Values));
        Assert.Equal("particle: data is neither a number nor a JSON object", Fail(SourceKind.Particle, "particle-text.json", null).Error);
    }

    [Fact]
    public void Raw_bytes_records_use_the_device_decoder_with_the_record_port()
    {
        var record = UplinkFixtures.Record(SourceKind.Mqtt, [0x01, 0x67, 0xFF, 0xD7]) with { PayloadKind = PayloadKind.RawBytes, Port = 2 };
        var points = new DecodedPoints();

        var result = _decoder.Decode(record, UplinkFixtures.Device(CayenneLpp.DecoderId), points);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(["temperature_1=-4.1"], Describe(points.Values));
    }

    [Fact]
    public void Json_values_records_belong_to_the_values_decoder()
    {
        var record = UplinkFixtures.Record(SourceKind.Http, "{\"t\":1}"u8.ToArray()) with { PayloadKind = PayloadKind.JsonValues };

        Assert.False(_decoder.Decode(record, null, new DecodedPoints()).Succeeded);
    }

    private DecodedPoints Decode(SourceKind source, string fixture, string? decoderId)
    {
        var points = new DecodedPoints();
        var result = _decoder.Decode(UplinkFixtures.Record(source, UplinkFixtures.Read(fixture)), UplinkFixtures.Device(decoderId), points);
        Assert.True(result.Succeeded, result.Error);
        return points;
    }

    private DecodeResult Fail(SourceKind source, string fixture, string? decoderId)
    {
        var points = new DecodedPoints();
        var result = _decoder.Decode(UplinkFixtures.Record(source, UplinkFixtures.Read(fixture)), UplinkFixtures.Device(decoderId), points);
        Assert.False(result.Succeeded);
        Assert.NotNull(result.Error);
        return result;
    }

    private static string[] Describe(IReadOnlyList<DecodedField> fields) =>
        [.. fields.Select(f => FormattableString.Invariant($"{f.Name}={f.Value}"))];
}
