using CsCheck;
using Datacake.Streams.Payloads.Fields;
using Datacake.Streams.Processing.Decoding;

namespace Datacake.Streams.UnitTests.Processing.Decoding;

public sealed class CayenneLppTests
{
    [Fact]
    public void Two_temperature_channels_decode_by_channel()
    {
        var points = Decode([0x03, 0x67, 0x01, 0x10, 0x05, 0x67, 0x00, 0xFF]);

        Assert.Equal([("temperature_3", 27.2), ("temperature_5", 25.5)], Numbers(points));
    }

    [Fact]
    public void Negative_temperature_and_the_three_axis_types_are_signed()
    {
        var points = Decode([0x01, 0x67, 0xFF, 0xD7, 0x06, 0x71, 0x04, 0xD2, 0xFB, 0x2E, 0x00, 0x00, 0x02, 0x86, 0xFF, 0x9C, 0x00, 0x64, 0x00, 0x00]);

        Assert.Equal(
            [("temperature_1", -4.1), ("accelerometer_6.x", 1.234), ("accelerometer_6.y", -1.234), ("accelerometer_6.z", 0),
             ("gyrometer_2.x", -1), ("gyrometer_2.y", 1), ("gyrometer_2.z", 0)],
            Numbers(points));
    }

    [Fact]
    public void Gps_decodes_latitude_longitude_altitude_with_their_own_scales()
    {
        var points = Decode([0x01, 0x88, 0x06, 0x76, 0x5F, 0xF2, 0x96, 0x0A, 0x00, 0x03, 0xE8]);

        Assert.Equal([("gps_1.latitude", 42.3519), ("gps_1.longitude", -87.9094), ("gps_1.altitude", 10)], Numbers(points));
    }

    [Fact]
    public void Every_standard_type_has_its_name_and_scale()
    {
        var points = Decode(
        [
            0x01, 0x00, 0x01, // digital in
            0x02, 0x01, 0x00, // digital out
            0x03, 0x02, 0xFF, 0x38, // analog in -2.00
            0x04, 0x03, 0x01, 0xF4, // analog out 5.00
            0x05, 0x65, 0x01, 0x2C, // illuminance 300
            0x06, 0x66, 0x01, // presence
            0x07, 0x68, 0x61, // humidity 48.5
            0x08, 0x73, 0x27, 0x95, // barometer 1013.3
        ]);

        Assert.Equal(
            [("digital_in_1", 1), ("digital_out_2", 0), ("analog_in_3", -2), ("analog_out_4", 5), ("illuminance_5", 300),
             ("presence_6", 1), ("humidity_7", 48.5), ("barometer_8", 1013.3)],
            Numbers(points));
    }

    [Fact]
    public void Unknown_type_and_truncated_data_fail_with_the_position()
    {
        var points = new DecodedPoints();

        var unknown = CayenneLpp.Decode([0x01, 0x67, 0x00, 0x10, 0x02, 0x42, 0x00], points);
        var truncated = CayenneLpp.Decode([0x01, 0x67, 0x00], points);

        Assert.False(unknown.Succeeded);
        Assert.Contains("unknown type 66 at byte 5", unknown.Error, StringComparison.Ordinal);
        Assert.False(truncated.Succeeded);
        Assert.Contains("temperature on channel 1 needs 2 bytes", truncated.Error, StringComparison.Ordinal);
        Assert.Equal(DecodeResult.ReasonCode, "decode_failed");
    }

    [Fact]
    public void Decoding_allocates_nothing_once_names_are_known()
    {
        byte[] payload = [0x03, 0x67, 0x01, 0x10, 0x05, 0x68, 0x61, 0x06, 0x71, 0x04, 0xD2, 0xFB, 0x2E, 0x00, 0x00];
        var points = new DecodedPoints();
        CayenneLpp.Decode(payload, points);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            points.Clear();
            CayenneLpp.Decode(payload, points);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(5, points.Values.Count);
    }

    [Fact]
    public void Fuzz_random_bytes_never_throw_and_a_cut_inside_a_value_always_fails()
    {
        Gen.Byte.Array[0, 64].Sample(bytes =>
        {
            var result = CayenneLpp.Decode(bytes, new DecodedPoints());
            Assert.True(result.Succeeded || result.Error is not null);
        }, iter: 10_000);

        // A valid temperature or GPS entry cut anywhere inside its data: always a failure.
        byte[][] entries = [[0x01, 0x67, 0x01, 0x10], [0x01, 0x88, 0x06, 0x76, 0x5F, 0xF2, 0x96, 0x0A, 0x00, 0x03, 0xE8]];
        Gen.Select(Gen.Int[0, 1], Gen.Int[1, 10], Gen.Byte.Array[0, 16]).Sample((which, cut, prefix) =>
        {
            var entry = entries[which];
            var keep = Math.Min(cut, entry.Length - 1);
            var valid = new byte[] { 0x09, 0x67, 0x00, 0x01 };
            byte[] payload = [.. valid, .. entry.AsSpan(0, keep)];
            Assert.False(CayenneLpp.Decode(payload, new DecodedPoints()).Succeeded);
        }, iter: 10_000);
    }

    private static DecodedPoints Decode(byte[] payload)
    {
        var points = new DecodedPoints();
        var result = CayenneLpp.Decode(payload, points);
        Assert.True(result.Succeeded, result.Error);
        return points;
    }

    private static (string, double)[] Numbers(DecodedPoints points) =>
        [.. points.Values.Select(f => (f.Name, f.Number))];
}
