using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Datacake.Streams.Influx.LineProtocol;

namespace Datacake.Streams.Api.Export;

/// <summary>
/// Line protocol in the influx CLI's import layout: <c># DML</c>, <c># CONTEXT-DATABASE:</c>, and one
/// <c># CONTEXT-RETENTION-POLICY:</c> before each tier's points, so that both <c>dcs import</c> and
/// <c>influx -import</c> read it back into the right policies. Device names are comments: they never become tags.
/// </summary>
public sealed class LineProtocolExportWriter(IBufferWriter<byte> output) : IExportWriter
{
    // Names repeat across chunks (a few measurements, one tag value per device, the fields): escaped once each.
    private readonly Dictionary<string, LineProtocolName> _measurements = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LineProtocolName> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LineProtocolName> _tagValues = new(StringComparer.Ordinal);

    public string ContentType => "text/plain; charset=utf-8";

    public string FileExtension => "lp";

    public void WriteHeader(ExportHeader header)
    {
        Line(string.Create(CultureInfo.InvariantCulture, $"# Datacake.Streams export of workspace {header.WorkspaceId} {ExportText.Quoted(header.WorkspaceName)}, created {header.CreatedAt:O}"));
        Line($"# range: from {header.From?.ToString("O", CultureInfo.InvariantCulture) ?? "the first point"} to {header.To?.ToString("O", CultureInfo.InvariantCulture) ?? "the last point"}");
        foreach (var device in header.Devices)
        {
            Line($"# device {device.Id} {ExportText.Quoted(device.Name)} in workspace {device.WorkspaceId} {ExportText.Quoted(device.WorkspaceName)}");
        }

        Line("# DML");
        Line("# CONTEXT-DATABASE: " + header.Database);
    }

    public void BeginSource(ExportSource source) => Line("# CONTEXT-RETENTION-POLICY: " + source.RetentionPolicy);

    public long WriteRows(ExportSeries series, JsonElement rows)
    {
        LineProtocolName measurement = Name(_measurements, series.Measurement, LineProtocolName.Measurement);
        var tags = new (LineProtocolName Key, LineProtocolName Value)[series.Tags.Count];
        for (int i = 0; i < tags.Length; i++)
        {
            tags[i] = (Name(_keys, series.Tags[i].Key, LineProtocolName.TagKey), Name(_tagValues, series.Tags[i].Value, LineProtocolName.TagValue));
        }

        var fields = new LineProtocolName[series.Fields.Count];
        for (int i = 0; i < fields.Length; i++)
        {
            fields[i] = Name(_keys, series.Fields[i].Name, LineProtocolName.FieldKey);
        }

        long points = 0;
        foreach (JsonElement row in rows.EnumerateArray())
        {
            if (!ExportFormats.HasValue(row, series.Fields))
            {
                continue;
            }

            var line = new LineProtocolWriter(output);
            line.Measurement(measurement);
            foreach ((LineProtocolName key, LineProtocolName value) in tags)
            {
                line.Tag(key, value);
            }

            for (int i = 0; i < fields.Length; i++)
            {
                JsonElement value = row[series.Fields[i].Column];
                switch (value.ValueKind)
                {
                    case JsonValueKind.Number when series.Fields[i].Type == ExportFieldType.Integer && value.TryGetInt64(out long integer):
                        line.Field(fields[i], integer);
                        break;
                    case JsonValueKind.Number:
                        line.Field(fields[i], value.GetDouble());
                        break;
                    case JsonValueKind.True or JsonValueKind.False:
                        line.Field(fields[i], value.GetBoolean());
                        break;
                    case JsonValueKind.String:
                        line.Field(fields[i], value.GetString());
                        break;
                }
            }

            line.Timestamp(row[series.TimeColumn].GetInt64());
            points++;
        }

        return points;
    }

    public void WriteSummary(ExportSummary summary) =>
        Line(string.Create(CultureInfo.InvariantCulture, $"# END points={summary.Points} {string.Join(' ', summary.PointsBySource.Select(s => $"{s.Key}={s.Value}"))}"));

    public void Flush()
    {
    }

    private void Line(string text)
    {
        ExportText.Utf8(output, text);
        ExportText.Byte(output, (byte)'\n');
    }

    private static LineProtocolName Name(Dictionary<string, LineProtocolName> cache, string text, Func<string, LineProtocolName> create)
    {
        if (!cache.TryGetValue(text, out LineProtocolName? name))
        {
            cache[text] = name = create(text);
        }

        return name;
    }
}
