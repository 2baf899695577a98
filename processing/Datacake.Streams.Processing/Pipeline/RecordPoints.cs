using Datacake.Streams.Ids;
using Datacake.Streams.Influx.LineProtocol;

namespace Datacake.Streams.Processing.Pipeline;

/// <summary>
/// Where a decoder writes the points of one record: measurement <c>values</c> (P0, retention policy <c>raw</c>) or
/// <c>meta</c> (P1, retention policy <c>meta</c>), always tagged with the record's device id and nothing else
/// (docs/DATA-MODEL.md). Tracks the earliest and latest point time for the too_old / too_far_in_future checks.
/// </summary>
/// <example>
/// <code>
/// var point = points.Values(timeNs);
/// point.Field("temperature", 21.5);
/// point.End();
/// </code>
/// </example>
public sealed class RecordPoints
{
    public const string ValuesMeasurement = "values";
    public const string MetaMeasurement = "meta";
    public const string DeviceTag = "device";

    // Escaped once: measuring and escaping names per point was about half of a point's cost (docs/BENCHMARKS.md).
    private static readonly LineProtocolName s_valuesName = LineProtocolName.Measurement(ValuesMeasurement);
    private static readonly LineProtocolName s_metaName = LineProtocolName.Measurement(MetaMeasurement);
    private static readonly LineProtocolName s_deviceTag = LineProtocolName.TagKey(DeviceTag);

    private PointChunks _values = new();
    private PointChunks _meta = new();
    private readonly char[] _device = new char[DeviceId.TextLength];

    // The device tag pre-escaped, made at a record's second point: a batched HTTP record of 1,000 measurements
    // escaped the same 30-character id 1,000 times; a record of one point (most) is not worth the allocation.
    private DeviceId _current;
    private DeviceId _named;
    private LineProtocolName? _deviceName;
    private int _recordPoints;

    internal RecordPoints()
    {
    }

    public int ValuesCount { get; private set; }

    public int MetaCount { get; private set; }

    /// <summary>Earliest point time written for this record, Unix ns; <see cref="long.MaxValue"/> when none.</summary>
    public long EarliestNs { get; private set; } = long.MaxValue;

    public long LatestNs { get; private set; } = long.MinValue;

    /// <summary>Starts a measurement point at <paramref name="timestampNs"/>; add fields, then call <see cref="PointBuilder.End()"/>.</summary>
    public PointBuilder Values(long timestampNs) => Begin(_values, timestampNs, meta: false);

    /// <summary>
    /// Starts a measurement point whose time is known only after its fields: add fields, then call
    /// <see cref="PointBuilder.End(long)"/> (line protocol writes the timestamp last, so a decoder that finds the
    /// time among the values needs no second pass over them).
    /// </summary>
    public PointBuilder Values() => Begin(_values, long.MinValue, meta: false);

    /// <summary>Starts a metadata point (radio, battery, counters); numeric fields only by convention.</summary>
    public PointBuilder Meta(long timestampNs) => Begin(_meta, timestampNs, meta: true);

    /// <summary>Writes the lines of the next records into the given lanes (those of the chunk the records are in).</summary>
    internal void WriteInto(PointChunks values, PointChunks meta)
    {
        _values = values;
        _meta = meta;
    }

    /// <summary>Starts the points of a new record of <paramref name="device"/>.</summary>
    internal void Reset(DeviceId device)
    {
        _values.Discard();
        _meta.Discard();
        device.TryFormat(_device, out _);
        _current = device;
        _recordPoints = 0;
        ValuesCount = 0;
        MetaCount = 0;
        EarliestNs = long.MaxValue;
        LatestNs = long.MinValue;
    }

    /// <summary>Drops everything written for the current record.</summary>
    internal void Discard()
    {
        _values.Discard();
        _meta.Discard();
        ValuesCount = 0;
        MetaCount = 0;
    }

    /// <summary>The current record's lines, per lane; the next record starts after them.</summary>
    internal (ReadOnlyMemory<byte> Values, ReadOnlyMemory<byte> Meta) Take() => (_values.Take(), _meta.Take());

    private PointBuilder Begin(PointChunks lane, long timestampNs, bool meta)
    {
        if (meta)
        {
            MetaCount++;
        }
        else
        {
            ValuesCount++;
        }

        var writer = new LineProtocolWriter(lane);
        writer.Measurement(meta ? s_metaName : s_valuesName);
        if (_recordPoints++ == 0)
        {
            writer.Tag(DeviceTag, _device);
        }
        else
        {
            if (_deviceName is null || _named != _current)
            {
                _deviceName = LineProtocolName.TagValue(new string(_device));
                _named = _current;
            }

            writer.Tag(s_deviceTag, _deviceName);
        }

        return new PointBuilder(this, writer, timestampNs);
    }

    /// <summary>A point's time, as its line ends: what the too_old / too_far_in_future checks look at.</summary>
    internal void Timed(long timestampNs)
    {
        EarliestNs = Math.Min(EarliestNs, timestampNs);
        LatestNs = Math.Max(LatestNs, timestampNs);
    }
}

/// <summary>One point being written: fields, then <see cref="End"/>, which writes its timestamp.</summary>
public ref struct PointBuilder
{
    private readonly RecordPoints _points;
    private LineProtocolWriter _writer;
    private readonly long _timestampNs;

    internal PointBuilder(RecordPoints points, LineProtocolWriter writer, long timestampNs)
    {
        _points = points;
        _writer = writer;
        _timestampNs = timestampNs;
    }

    /// <summary>Numbers are always floats (docs/DATA-MODEL.md): 21 then 21.5 must not conflict in InfluxDB.</summary>
    public void Field(ReadOnlySpan<char> key, double value) => _writer.Field(key, value);

    /// <summary>A float field as plain decimal text (<see cref="LineProtocolWriter.FieldDecimal"/>).</summary>
    public void FieldDecimal(ReadOnlySpan<char> key, ReadOnlySpan<byte> decimalText) => _writer.FieldDecimal(key, decimalText);

    public void Field(ReadOnlySpan<char> key, bool value) => _writer.Field(key, value);

    public void Field(ReadOnlySpan<char> key, ReadOnlySpan<char> value) => _writer.Field(key, value);

    /// <summary>Ends the point at the time it was started with.</summary>
    public void End() => End(_timestampNs);

    /// <summary>Ends the point at <paramref name="timestampNs"/> (a point started without a time).</summary>
    public void End(long timestampNs)
    {
        _writer.Timestamp(timestampNs);
        _points.Timed(timestampNs);
    }
}
