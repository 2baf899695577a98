using System.Text;
using Datacake.Streams.LineProtocol;

namespace Datacake.Streams.Influx.LineProtocol;

/// <summary>
/// Reads back line protocol well enough to name the points in a server error: splits a batch into point lines and
/// takes a line apart into measurement, tag keys and typed field keys, with the one line-protocol reader of core
/// (<see cref="LineProtocolBatch"/>, <see cref="LineProtocolPoint"/>). Error path only: strings are fine here.
/// </summary>
internal static class LineProtocolLines
{
    /// <summary>
    /// The point lines of a batch, in order, as InfluxDB 1.x scans them (models.scanLine): a newline inside a
    /// quoted string field value does not end the line; blank and '#' comment lines are not points.
    /// </summary>
    public static List<string> Split(ReadOnlySpan<byte> batch)
    {
        var lines = new List<string>();
        var reader = new LineProtocolBatch(batch);
        while (reader.TryNext(out var line))
        {
            lines.Add(Encoding.UTF8.GetString(line));
        }

        return lines;
    }

    /// <summary>Splits one line into its parts; names come back unescaped, field values as InfluxDB type names.</summary>
    public static ParsedLine Parse(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line);
        if (LineProtocolPoint.TryParse(bytes, out var point) != LineProtocolSyntaxError.None)
        {
            // Not a line InfluxDB stored anything of: it names no measurement, tag or field.
            return new ParsedLine(string.Empty, [], []);
        }

        var tagKeys = new List<string>();
        foreach (var tag in point.Tags)
        {
            tagKeys.Add(Name(tag.Key, measurement: false));
        }

        var fields = new List<(string Key, string Type)>();
        foreach (var field in point.Fields)
        {
            fields.Add((Name(field.Key, measurement: false), field.Kind switch
            {
                LineProtocolFieldKind.String => "string",
                LineProtocolFieldKind.Boolean => "boolean",
                LineProtocolFieldKind.Integer => "integer",
                LineProtocolFieldKind.Unsigned => "unsigned",
                _ => "float",
            }));
        }

        return new ParsedLine(Name(point.Measurement, measurement: true), tagKeys, fields);
    }

    private static string Name(ReadOnlySpan<byte> escaped, bool measurement)
    {
        var buffer = new byte[escaped.Length];
        return Encoding.UTF8.GetString(buffer, 0, LineProtocolEscapes.UnescapeName(escaped, buffer, measurement));
    }
}

/// <summary>A point line taken apart: unescaped measurement, tag keys and fields with their InfluxDB type names.</summary>
internal sealed record ParsedLine(string Measurement, IReadOnlyList<string> TagKeys, IReadOnlyList<(string Key, string Type)> Fields);
