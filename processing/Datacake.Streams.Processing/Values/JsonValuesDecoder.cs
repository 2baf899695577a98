using System.Buffers.Text;
using Datacake.Streams.Influx.LineProtocol;
using Datacake.Streams.Payloads.JsonValues;
using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.Records;
using Datacake.Streams.Payloads.DeadLetters;

namespace Datacake.Streams.Processing.Values;

/// <summary>
/// Writes the JSON values of HTTP and MQTT ingest as <c>values</c> points: <see cref="MeasurementBody"/> reads the
/// record's payload by the rules ingest checked it with, and the points go straight into line protocol.
/// </summary>
/// <remarks>
/// Point time: the entry's own <c>time</c> (in a plain object the top-level <c>time</c>), else the record's device
/// time, else its receive time: deterministic, so a replay rewrites the same points. A payload outside the rules
/// (written by an older ingest, or not by ingest at all) is rejected with <see cref="RejectReason.DecodeFailed"/>; the
/// entry limit is ingest's to enforce (its option may allow more than the default), so none applies here.
/// </remarks>
public static class JsonValuesDecoder
{
    /// <summary>Writes the points of <paramref name="record"/>; a rejection with <see cref="RejectReason.DecodeFailed"/> otherwise. Never throws.</summary>
    public static Verdict Decode(in RawRecord record, RecordPoints points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var sink = new PointSink(points, record.DeviceTimeUnixNs ?? record.ReceivedAtUnixNs);
        var check = MeasurementBody.Read(record.Payload.Span, sink, int.MaxValue);
        return check.IsValid ? Verdict.Accept : Verdict.Reject(RejectReason.DecodeFailed, check.ToString());
    }

    private ref struct PointSink(RecordPoints points, long fallbackNs) : IMeasurementSink
    {
        private PointBuilder _point;

        public void BeginPoint() => _point = points.Values();

        public void Number(ReadOnlySpan<char> field, ReadOnlySpan<byte> jsonNumber)
        {
            // Sensor values are short decimals: written as they came, which saves a parse and a format per value.
            // Exponents and long numbers are parsed (the reader checked they are finite) and formatted.
            if (LineProtocolWriter.IsPlainDecimal(jsonNumber))
            {
                _point.FieldDecimal(field, jsonNumber);
            }
            else
            {
                Utf8Parser.TryParse(jsonNumber, out double value, out _);
                _point.Field(field, value);
            }
        }

        public void Boolean(ReadOnlySpan<char> field, bool value) => _point.Field(field, value);

        public void Text(ReadOnlySpan<char> field, ReadOnlySpan<char> value) => _point.Field(field, value);

        public void EndPoint(long? timeUnixNs) => _point.End(timeUnixNs ?? fallbackNs);
    }
}
