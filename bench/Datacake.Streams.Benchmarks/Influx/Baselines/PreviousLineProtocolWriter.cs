using System.Buffers;
using Datacake.Streams.Influx.LineProtocol;

namespace Datacake.Streams.Benchmarks.Influx.Baselines;

/// <summary>
/// Session 2's writer for pre-escaped names, kept only as the benchmarks' baseline: one GetSpan and one Advance per
/// element, the previous float formatter and integer writer. Validation is as it was (state and name-kind checks).
/// </summary>
internal ref struct PreviousLineProtocolWriter
{
    private const int MaxNumberBytes = 32;

    private readonly IBufferWriter<byte> _output;
    private LineState _state;

    public PreviousLineProtocolWriter(IBufferWriter<byte> output)
    {
        _output = output;
        _state = LineState.Idle;
    }

    public void Measurement(LineProtocolName name)
    {
        if (_state != LineState.Idle)
        {
            throw new InvalidOperationException("the previous line was not ended");
        }

        var escaped = Checked(name, NameKind.Measurement);
        escaped.CopyTo(_output.GetSpan(escaped.Length));
        _output.Advance(escaped.Length);
        _state = LineState.Tags;
    }

    public void Tag(LineProtocolName key, LineProtocolName value)
    {
        if (_state != LineState.Tags)
        {
            throw new InvalidOperationException("tags come before fields");
        }

        var escapedKey = Checked(key, NameKind.TagKey);
        var escapedValue = Checked(value, NameKind.TagValue);
        Span<byte> span = _output.GetSpan(escapedKey.Length + escapedValue.Length + 2);
        span[0] = (byte)',';
        escapedKey.CopyTo(span[1..]);
        int written = 1 + escapedKey.Length;
        span[written++] = (byte)'=';
        escapedValue.CopyTo(span[written..]);
        _output.Advance(written + escapedValue.Length);
    }

    public void Field(LineProtocolName key, double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(nameof(value));
        }

        var escaped = CheckedFieldKey(key);
        Span<byte> span = _output.GetSpan(escaped.Length + 2 + MaxNumberBytes);
        int written = WriteFieldKey(escaped, span);
        Commit(written + PreviousFloatFormatter.Format(value, span[written..]));
    }

    public void Field(LineProtocolName key, long value)
    {
        var escaped = CheckedFieldKey(key);
        Span<byte> span = _output.GetSpan(escaped.Length + 3 + MaxNumberBytes);
        int written = WriteFieldKey(escaped, span);
        written += PreviousDecimalDigits.Write(value, span[written..]);
        span[written++] = (byte)'i';
        Commit(written);
    }

    public void Field(LineProtocolName key, bool value)
    {
        var escaped = CheckedFieldKey(key);
        Span<byte> span = _output.GetSpan(escaped.Length + 2 + 5);
        int written = WriteFieldKey(escaped, span);
        ReadOnlySpan<byte> text = value ? "true"u8 : "false"u8;
        text.CopyTo(span[written..]);
        Commit(written + text.Length);
    }

    public void Timestamp(long unixNanoseconds)
    {
        if (_state != LineState.Fields)
        {
            throw new InvalidOperationException("a line needs at least one field");
        }

        Span<byte> span = _output.GetSpan(MaxNumberBytes);
        span[0] = (byte)' ';
        int digits = PreviousDecimalDigits.Write(unixNanoseconds, span[1..]);
        span[digits + 1] = (byte)'\n';
        _output.Advance(digits + 2);
        _state = LineState.Idle;
    }

    private readonly ReadOnlySpan<byte> CheckedFieldKey(LineProtocolName key)
    {
        if (_state == LineState.Idle)
        {
            throw new InvalidOperationException("no measurement was written");
        }

        return Checked(key, NameKind.FieldKey);
    }

    private readonly int WriteFieldKey(ReadOnlySpan<byte> escapedKey, Span<byte> span)
    {
        span[0] = _state == LineState.Fields ? (byte)',' : (byte)' ';
        escapedKey.CopyTo(span[1..]);
        span[escapedKey.Length + 1] = (byte)'=';
        return escapedKey.Length + 2;
    }

    private static ReadOnlySpan<byte> Checked(LineProtocolName name, NameKind expected)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Kind != expected && !(IsKey(name.Kind) && IsKey(expected)))
        {
            throw new ArgumentException("wrong kind of name", nameof(name));
        }

        return name.Escaped;
    }

    private static bool IsKey(NameKind kind) => kind is NameKind.TagKey or NameKind.FieldKey;

    private void Commit(int written)
    {
        _output.Advance(written);
        _state = LineState.Fields;
    }

    private enum LineState : byte
    {
        Idle,
        Tags,
        Fields,
    }
}
