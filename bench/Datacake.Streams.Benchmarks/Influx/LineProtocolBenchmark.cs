using System.Buffers;
using BenchmarkDotNet.Attributes;
using Datacake.Streams.Benchmarks.Influx.Baselines;
using Datacake.Streams.Influx.LineProtocol;

namespace Datacake.Streams.Benchmarks.Influx;

/// <summary>
/// The hot path of every InfluxDB write: one point with one tag (device id), five fields and a ns timestamp,
/// encoded into a reused buffer. Target: at most 150 ns and 0 bytes allocated per point.
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class LineProtocolBenchmark
{
    private const string Device = "dev_01HZX3Q5V7T9K2M4P6R8S0W1Y3";

    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);
    private long _timestamp = 1_700_000_000_000_000_000;

    private static readonly LineProtocolName s_measurement = LineProtocolName.Measurement("measurements");
    private static readonly LineProtocolName s_deviceKey = LineProtocolName.TagKey("device");
    private static readonly LineProtocolName s_device = LineProtocolName.TagValue(Device);
    private static readonly LineProtocolName s_temperature = LineProtocolName.FieldKey("temperature");
    private static readonly LineProtocolName s_humidity = LineProtocolName.FieldKey("humidity");
    private static readonly LineProtocolName s_battery = LineProtocolName.FieldKey("battery");
    private static readonly LineProtocolName s_rssi = LineProtocolName.FieldKey("rssi");
    private static readonly LineProtocolName s_door = LineProtocolName.FieldKey("door_open");

    /// <summary>What processing does: names escaped once (per device, per field key) and reused for every point.</summary>
    [Benchmark(Baseline = true)]
    public int EncodePointPreEscapedNames()
    {
        if (_buffer.FreeCapacity < 256)
        {
            _buffer.ResetWrittenCount();
        }

        var writer = new LineProtocolWriter(_buffer);
        writer.Measurement(s_measurement);
        writer.Tag(s_deviceKey, s_device);
        writer.Field(s_temperature, 21.53);
        writer.Field(s_humidity, 45.2);
        writer.Field(s_battery, 3.27);
        writer.Field(s_rssi, -97L);
        writer.Field(s_door, false);
        writer.Timestamp(_timestamp++);
        return _buffer.WrittenCount;
    }

    /// <summary>The same point through session 2's writer (a GetSpan per element, the previous float formatter).</summary>
    [Benchmark]
    public int EncodePointPreEscapedNamesPrevious()
    {
        if (_buffer.FreeCapacity < 256)
        {
            _buffer.ResetWrittenCount();
        }

        var writer = new PreviousLineProtocolWriter(_buffer);
        writer.Measurement(s_measurement);
        writer.Tag(s_deviceKey, s_device);
        writer.Field(s_temperature, 21.53);
        writer.Field(s_humidity, 45.2);
        writer.Field(s_battery, 3.27);
        writer.Field(s_rssi, -97L);
        writer.Field(s_door, false);
        writer.Timestamp(_timestamp++);
        return _buffer.WrittenCount;
    }

    /// <summary>Every name measured, validated and escaped per point.</summary>
    [Benchmark]
    public int EncodePoint()
    {
        if (_buffer.FreeCapacity < 256)
        {
            _buffer.ResetWrittenCount();
        }

        var writer = new LineProtocolWriter(_buffer);
        writer.Measurement("measurements");
        writer.Tag("device", Device);
        writer.Field("temperature", 21.53);
        writer.Field("humidity", 45.2);
        writer.Field("battery", 3.27);
        writer.Field("rssi", -97L);
        writer.Field("door_open", false);
        writer.Timestamp(_timestamp++);
        return _buffer.WrittenCount;
    }
}
