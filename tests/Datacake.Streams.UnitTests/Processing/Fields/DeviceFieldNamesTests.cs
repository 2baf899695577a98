using System.Text;
using Datacake.Streams.Ids;
using Datacake.Streams.Processing.Fields;
using Datacake.Streams.Processing.Pipeline;

namespace Datacake.Streams.UnitTests.Processing.Fields;

/// <summary>The per-device limit of distinct field names (too_many_fields), as the partition stage applies it per record.</summary>
public sealed class DeviceFieldNamesTests
{
    private static bool Record(RecordPoints points, DeviceId device, params string[] names) => Record(points, device, out _, names);

    private static bool Record(RecordPoints points, DeviceId device, out string? refusal, params string[] names)
    {
        points.Reset(device);
        for (var p = 0; p < 3; p++)
        {
            var point = points.Values(1_000 + p);
            foreach (var name in names)
            {
                point.Field(name, 1.5);
            }

            point.End();
        }

        var admitted = points.TryAdmitFieldNames(out refusal);
        if (admitted)
        {
            points.Take();
        }
        else
        {
            points.Discard();
        }

        return admitted;
    }

    [Fact]
    public void A_device_keeps_its_names_up_to_the_limit_and_a_record_past_it_adds_none()
    {
        var names = new DeviceFieldNames(limitPerDevice: 4);
        var points = new RecordPoints(names);
        var device = DeviceId.New();

        Assert.True(Record(points, device, "a", "b"));
        Assert.True(Record(points, device, "a", "b", "c"));
        Assert.False(Record(points, device, out var refusal, "a", "d", "e"));
        Assert.Contains("3 distinct field names stored and this record adds 2; the limit is 4", refusal, StringComparison.Ordinal);

        // The refused record added nothing: d alone still fits, and then the device is full.
        Assert.Equal(3, names.For(device).Count);
        Assert.True(Record(points, device, "d", "a"));
        Assert.False(Record(points, device, "e"));
        Assert.True(Record(points, device, "a", "b", "c", "d"));
    }

    [Fact]
    public void One_devices_names_never_count_against_another()
    {
        var names = new DeviceFieldNames(limitPerDevice: 2);
        var points = new RecordPoints(names);
        var attacker = DeviceId.New();
        var victim = DeviceId.New();

        Assert.True(Record(points, attacker, "x1", "x2"));
        Assert.False(Record(points, attacker, "x3"));
        Assert.True(Record(points, victim, "temperature", "humidity"));
        Assert.Equal(2, names.For(victim).Count);
    }

    [Fact]
    public void Names_seeded_from_the_store_count_and_metadata_names_do_not()
    {
        var names = new DeviceFieldNames(limitPerDevice: 3);
        var device = DeviceId.New();
        names.Seed(device, "a");
        names.Seed(device, "b");
        var points = new RecordPoints(names);

        Assert.True(Record(points, device, "b", "c"));
        Assert.False(Record(points, device, "d"));

        // Metadata points (rssi, snr, …) have a fixed set of names: they are not the device's fields.
        points.Reset(device);
        var meta = points.Meta(2_000);
        meta.Field("rssi", -97);
        meta.Field("snr", 7.25);
        meta.End();
        Assert.True(points.TryAdmitFieldNames(out _));
    }

    [Fact]
    public void Repeated_names_in_any_order_across_many_points_count_once()
    {
        var names = new DeviceFieldNames(limitPerDevice: 3);
        var points = new RecordPoints(names);
        var device = DeviceId.New();
        points.Reset(device);
        for (var p = 0; p < 1_000; p++)
        {
            var point = points.Values(p);
            foreach (var name in (p % 2 == 0 ? new[] { "a", "b", "c" } : ["c", "a", "b"]))
            {
                point.Field(name, p);
            }

            point.End();
        }

        Assert.True(points.TryAdmitFieldNames(out _));
        Assert.Equal(3, names.For(device).Count);
    }

    [Fact]
    public void Points_are_written_into_the_devices_own_measurement()
    {
        var points = new RecordPoints(new DeviceFieldNames(10));
        var device = DeviceId.New();
        points.Reset(device);
        for (var p = 0; p < 2; p++)
        {
            var point = points.Values(5 + p);
            point.Field("t", 1.5);
            point.End();
        }

        var meta = points.Meta(9);
        meta.Field("rssi", -97);
        meta.End();
        var (values, metaLines) = points.Take();
        Assert.Equal($"{device},device={device} t=1.5 5\n{device},device={device} t=1.5 6\n", Encoding.UTF8.GetString(values.Span));
        Assert.Equal($"{device},device={device} rssi=-97 9\n", Encoding.UTF8.GetString(metaLines.Span));
    }
}
