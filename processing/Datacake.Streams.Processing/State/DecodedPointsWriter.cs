using Datacake.Streams.Processing.Decoding;
using Datacake.Streams.Processing.Pipeline;

namespace Datacake.Streams.Processing.State;

/// <summary>
/// Adapts what the Decoding/ decoders collect through <see cref="IPointSink"/> (a reused <see cref="DecodedPoints"/>)
/// to the pipeline's <see cref="RecordPoints"/>: one <c>values</c> point and one <c>meta</c> point at the record's time,
/// each only when it has fields (a line needs at least one). Indexed loops: no enumerator boxing per record.
/// </summary>
internal static class DecodedPointsWriter
{
    public static void Write(DecodedPoints decoded, long timeNs, RecordPoints points)
    {
        var values = decoded.Values;
        if (values.Count > 0)
        {
            var point = points.Values(timeNs);
            for (var i = 0; i < values.Count; i++)
            {
                Add(ref point, values[i]);
            }

            point.End();
        }

        var meta = decoded.Meta;
        if (meta.Count > 0)
        {
            var point = points.Meta(timeNs);
            for (var i = 0; i < meta.Count; i++)
            {
                Add(ref point, meta[i]);
            }

            point.End();
        }
    }

    private static void Add(ref PointBuilder point, in DecodedField field)
    {
        switch (field.Kind)
        {
            case DecodedFieldKind.Number:
                point.Field(field.Name, field.Number);
                break;
            case DecodedFieldKind.Boolean:
                point.Field(field.Name, field.Boolean);
                break;
            default:
                point.Field(field.Name, (field.Text ?? string.Empty).AsSpan());
                break;
        }
    }
}
