using System.Runtime.CompilerServices;
using Datacake.Streams.Ids;
using Datacake.Streams.Influx.LineProtocol;
using Datacake.Streams.Processing.Fields;
using Datacake.Streams.Storage;

namespace Datacake.Streams.Processing.Pipeline;

/// <summary>
/// Where a decoder writes the points of one record: the device's own measurement (named by its id,
/// <see cref="StorageLayout"/>) in the values lane (P0, retention policy <c>raw</c>) or the metadata lane (P1,
/// retention policy <c>meta</c>), always tagged with the record's device id and nothing else (docs/DATA-MODEL.md). Tracks the earliest and latest point time for the too_old / too_far_in_future checks.
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
    public const string DeviceTag = StorageLayout.DeviceTag;

    // Escaped once: measuring and escaping names per point was about half of a point's cost (docs/BENCHMARKS.md).
    private static readonly LineProtocolName s_deviceTag = LineProtocolName.TagKey(DeviceTag);

    private PointChunks _values = new();
    private PointChunks _meta = new();
    private readonly char[] _device = new char[DeviceId.TextLength];

    // The device's measurement name and tag value pre-escaped, made at a record's second point: a batched HTTP
    // record of 1,000 measurements escaped the same 30-character id 2,000 times; a record of one point (most) is
    // not worth the two allocations.
    private DeviceId _current;
    private bool _hasDevice;
    private DeviceId _named;
    private LineProtocolName? _deviceName;
    private LineProtocolName? _measurementName;
    private int _recordPoints;

    // The distinct value-field names of the current record, as hashes, for the per-device limit. Points of one
    // record mostly repeat the same names in the same order, so the next expected slot is tried first.
    private readonly DeviceFieldNames? _fieldNames;
    private FieldNameSet? _deviceNames;
    private ulong[] _names = new ulong[16];
    private int _nameCount;
    private int _probe;

    // The UTC days the record's points fall on, each with its earliest and latest point, for the rollup marks of a
    // late record (RollupMarks.DayTag). Points of one record mostly share a day: the last day used is tried first.
    // 32 slots hold every day of raw's default 30; a record past them widens its last slot (a wider mark, still
    // covering every point).
    private const int MaxDays = 32;
    private readonly long[] _days = new long[MaxDays];
    private readonly long[] _dayEarliest = new long[MaxDays];
    private readonly long[] _dayLatest = new long[MaxDays];
    private int _dayCount;
    private int _lastDay;

    internal RecordPoints(DeviceFieldNames? fieldNames = null)
    {
        _fieldNames = fieldNames;
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
        // Records of one device often follow each other (a partition is keyed by device): its text and name set stay.
        if (!_hasDevice || device != _current)
        {
            device.TryFormat(_device, out _);
            _current = device;
            _hasDevice = true;
            _deviceNames = _fieldNames?.For(device);
        }

        _nameCount = 0;
        _probe = 0;
        _recordPoints = 0;
        ValuesCount = 0;
        MetaCount = 0;
        EarliestNs = long.MaxValue;
        LatestNs = long.MinValue;
        _dayCount = 0;
        _lastDay = 0;
    }

    /// <summary>
    /// The record's points per UTC day, [earliest, latest] each, when they fall on more than one day; null when on one
    /// (then <see cref="EarliestNs"/>..<see cref="LatestNs"/> is the one span). Allocates only for a record across days.
    /// </summary>
    internal (long From, long To)[]? DaySpans()
    {
        if (_dayCount <= 1)
        {
            return null;
        }

        var spans = new (long From, long To)[_dayCount];
        for (int i = 0; i < _dayCount; i++)
        {
            spans[i] = (_dayEarliest[i], _dayLatest[i]);
        }

        return spans;
    }

    /// <summary>
    /// Admits the current record's value-field names into its device's set, or refuses the record when they would
    /// take the device past <see cref="DeviceFieldNames.LimitPerDevice"/> distinct names (then nothing is added).
    /// </summary>
    internal bool TryAdmitFieldNames(out string? refusal)
    {
        refusal = null;
        if (_deviceNames is null || _nameCount == 0 || _deviceNames.TryAdmit(_names.AsSpan(0, _nameCount), _fieldNames!.LimitPerDevice, out _))
        {
            return true;
        }

        return Refuse(out refusal);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool Refuse(out string refusal)
    {
        int known = _deviceNames!.Count;
        int fresh = 0;
        foreach (ulong hash in _names.AsSpan(0, _nameCount))
        {
            fresh += _deviceNames.Contains(hash) ? 0 : 1;
        }

        refusal = $"the device has {known} distinct field names stored and this record adds {fresh}; the limit is {_fieldNames!.LimitPerDevice} per device";
        return false;
    }

    /// <summary>Notes a value field's name for the per-device limit: a hash, and a slot when the record has not used it yet.</summary>
    internal void Named(ReadOnlySpan<char> key)
    {
        if (_deviceNames is null)
        {
            return;
        }

        ulong hash = DeviceFieldNames.Hash(key);
        int slot = _probe < _nameCount ? _probe : 0;
        if (slot < _nameCount && _names[slot] == hash)
        {
            _probe = slot + 1;
            return;
        }

        NamedSlow(hash);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void NamedSlow(ulong hash)
    {
        int at = Array.IndexOf(_names, hash, 0, _nameCount);
        if (at >= 0)
        {
            _probe = at + 1;
            return;
        }

        if (_nameCount == _names.Length)
        {
            Array.Resize(ref _names, _names.Length * 2);
        }

        _names[_nameCount++] = hash;
        _probe = _nameCount;
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
        if (_recordPoints++ == 0)
        {
            writer.Measurement(_device);
            writer.Tag(DeviceTag, _device);
        }
        else
        {
            if (_deviceName is null || _measurementName is null || _named != _current)
            {
                var id = new string(_device);
                _deviceName = LineProtocolName.TagValue(id);
                _measurementName = LineProtocolName.Measurement(id);
                _named = _current;
            }

            writer.Measurement(_measurementName);
            writer.Tag(s_deviceTag, _deviceName);
        }

        return new PointBuilder(this, writer, timestampNs, named: !meta);
    }

    /// <summary>A point's time, as its line ends: what the too_old / too_far_in_future checks look at.</summary>
    internal void Timed(long timestampNs)
    {
        EarliestNs = Math.Min(EarliestNs, timestampNs);
        LatestNs = Math.Max(LatestNs, timestampNs);
        long day = RollupMarks.Day(timestampNs);
        if (_dayCount > 0 && _days[_lastDay] == day)
        {
            _dayEarliest[_lastDay] = Math.Min(_dayEarliest[_lastDay], timestampNs);
            _dayLatest[_lastDay] = Math.Max(_dayLatest[_lastDay], timestampNs);
            return;
        }

        TimedOnAnotherDay(timestampNs, day);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void TimedOnAnotherDay(long timestampNs, long day)
    {
        int slot = Array.IndexOf(_days, day, 0, _dayCount);
        if (slot < 0)
        {
            if (_dayCount == MaxDays)
            {
                // Past the slots: the last one widens to cover the point (its mark spans more days than it names).
                slot = MaxDays - 1;
            }
            else
            {
                slot = _dayCount++;
                _days[slot] = day;
                _dayEarliest[slot] = long.MaxValue;
                _dayLatest[slot] = long.MinValue;
            }
        }

        _dayEarliest[slot] = Math.Min(_dayEarliest[slot], timestampNs);
        _dayLatest[slot] = Math.Max(_dayLatest[slot], timestampNs);
        _lastDay = slot;
    }
}

/// <summary>One point being written: fields, then <see cref="End"/>, which writes its timestamp.</summary>
public ref struct PointBuilder
{
    private readonly RecordPoints _points;
    private LineProtocolWriter _writer;
    private readonly long _timestampNs;

    // Value points count their names against the device's limit; metadata points have a fixed set of names.
    private readonly bool _named;

    internal PointBuilder(RecordPoints points, LineProtocolWriter writer, long timestampNs, bool named)
    {
        _points = points;
        _writer = writer;
        _timestampNs = timestampNs;
        _named = named;
    }

    /// <summary>Numbers are always floats (docs/DATA-MODEL.md): 21 then 21.5 must not conflict in InfluxDB.</summary>
    public void Field(ReadOnlySpan<char> key, double value)
    {
        _writer.Field(key, value);
        Named(key);
    }

    /// <summary>A float field as plain decimal text (<see cref="LineProtocolWriter.FieldDecimal"/>).</summary>
    public void FieldDecimal(ReadOnlySpan<char> key, ReadOnlySpan<byte> decimalText)
    {
        _writer.FieldDecimal(key, decimalText);
        Named(key);
    }

    public void Field(ReadOnlySpan<char> key, bool value)
    {
        _writer.Field(key, value);
        Named(key);
    }

    public void Field(ReadOnlySpan<char> key, ReadOnlySpan<char> value)
    {
        _writer.Field(key, value);
        Named(key);
    }

    private readonly void Named(ReadOnlySpan<char> key)
    {
        if (_named)
        {
            _points.Named(key);
        }
    }

    /// <summary>Ends the point at the time it was started with.</summary>
    public void End() => End(_timestampNs);

    /// <summary>Ends the point at <paramref name="timestampNs"/> (a point started without a time).</summary>
    public void End(long timestampNs)
    {
        _writer.Timestamp(timestampNs);
        _points.Timed(timestampNs);
    }
}
