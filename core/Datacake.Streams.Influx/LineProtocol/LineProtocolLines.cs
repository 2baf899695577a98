using System.Text;

namespace Datacake.Streams.Influx.LineProtocol;

/// <summary>
/// Reads back line protocol well enough to name the points in a server error: splits a batch into point lines
/// and takes a line apart into measurement, tag keys and typed field keys. Error path only, not optimized.
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
        int position = 0;
        while (position < batch.Length)
        {
            int end = ScanLine(batch, position);
            ReadOnlySpan<byte> line = batch[position..end];
            int start = 0;
            while (start < line.Length && line[start] is (byte)' ' or (byte)'\t' or 0)
            {
                start++;
            }

            if (start < line.Length && line[start] != (byte)'#')
            {
                lines.Add(Encoding.UTF8.GetString(line[start..]));
            }

            position = end + 1;
        }

        return lines;
    }

    /// <summary>Splits one line into its parts; names come back unescaped, field values as InfluxDB type names.</summary>
    public static ParsedLine Parse(string line)
    {
        int i = 0;
        string measurement = ReadName(line, ref i, stopAtEquals: false);
        var tagKeys = new List<string>();
        while (i < line.Length && line[i] == ',')
        {
            i++;
            tagKeys.Add(ReadName(line, ref i, stopAtEquals: true));
            i++;
            ReadName(line, ref i, stopAtEquals: false);
        }

        var fields = new List<(string Key, string Type)>();
        while (i < line.Length && (line[i] == ' ' || line[i] == ','))
        {
            if (line[i] == ' ' && fields.Count > 0)
            {
                break;
            }

            i++;
            string key = ReadName(line, ref i, stopAtEquals: true);
            i++;
            fields.Add((key, ReadFieldType(line, ref i)));
        }

        return new ParsedLine(measurement, tagKeys, fields);
    }

    private static int ScanLine(ReadOnlySpan<byte> buffer, int i)
    {
        bool quoted = false;
        bool inFields = false;
        int equals = 0;
        int commas = 0;
        while (i < buffer.Length)
        {
            byte b = buffer[i];
            if (b == (byte)'\\' && i + 2 < buffer.Length)
            {
                i += 2;
                continue;
            }

            if (b == (byte)' ')
            {
                inFields = true;
            }

            if (inFields)
            {
                if (!quoted && b == (byte)'=')
                {
                    equals++;
                    i++;
                    continue;
                }

                if (!quoted && b == (byte)',')
                {
                    commas++;
                    i++;
                    continue;
                }

                if (b == (byte)'"' && equals > commas)
                {
                    quoted = !quoted;
                    i++;
                    continue;
                }
            }

            if (b == (byte)'\n' && !quoted)
            {
                return i;
            }

            i++;
        }

        return i;
    }

    private static string ReadName(string line, ref int i, bool stopAtEquals)
    {
        var name = new StringBuilder();
        while (i < line.Length)
        {
            char c = line[i];
            if (c == '\\' && i + 1 < line.Length && line[i + 1] is ',' or ' ' or '=' or '"')
            {
                name.Append(line[i + 1]);
                i += 2;
                continue;
            }

            if (c == ',' || c == ' ' || (stopAtEquals && c == '='))
            {
                break;
            }

            name.Append(c);
            i++;
        }

        return name.ToString();
    }

    private static string ReadFieldType(string line, ref int i)
    {
        if (i < line.Length && line[i] == '"')
        {
            i++;
            while (i < line.Length && line[i] != '"')
            {
                i += line[i] == '\\' ? 2 : 1;
            }

            i++;
            return "string";
        }

        int start = i;
        while (i < line.Length && line[i] != ',' && line[i] != ' ')
        {
            i++;
        }

        ReadOnlySpan<char> value = line.AsSpan(start, i - start);
        if (value.IsEmpty)
        {
            return "invalid";
        }

        return value[0] is 't' or 'T' or 'f' or 'F' ? "boolean"
            : value[^1] == 'i' ? "integer"
            : value[^1] == 'u' ? "unsigned"
            : "float";
    }
}

/// <summary>A point line taken apart: unescaped measurement, tag keys and fields with their InfluxDB type names.</summary>
internal sealed record ParsedLine(string Measurement, IReadOnlyList<string> TagKeys, IReadOnlyList<(string Key, string Type)> Fields);
