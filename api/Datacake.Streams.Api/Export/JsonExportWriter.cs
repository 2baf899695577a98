using System.Buffers;
using System.Text.Json;

namespace Datacake.Streams.Api.Export;

/// <summary>
/// One JSON document: <c>{workspace, from, to, createdAt, devices: [...], points: [{time, device, retentionPolicy,
/// measurement, fields: {...}}, ...], summary}</c>. Values are InfluxDB's own JSON numbers, booleans and strings.
/// </summary>
public sealed class JsonExportWriter : IExportWriter
{
    private readonly Utf8JsonWriter _json;

    public JsonExportWriter(IBufferWriter<byte> output)
    {
        _json = new Utf8JsonWriter(output);
    }

    public string ContentType => "application/json; charset=utf-8";

    public string FileExtension => "json";

    public void WriteHeader(ExportHeader header)
    {
        _json.WriteStartObject();
        _json.WriteStartObject("workspace");
        _json.WriteString("id", header.WorkspaceId);
        _json.WriteString("name", header.WorkspaceName);
        _json.WriteEndObject();
        WriteTime("from", header.From);
        WriteTime("to", header.To);
        _json.WriteString("createdAt", header.CreatedAt);
        _json.WriteStartArray("devices");
        foreach (var device in header.Devices)
        {
            _json.WriteStartObject();
            _json.WriteString("id", device.Id.ToString());
            _json.WriteString("name", device.Name);
            _json.WriteString("workspaceId", device.WorkspaceId);
            _json.WriteString("workspaceName", device.WorkspaceName);
            _json.WriteEndObject();
        }

        _json.WriteEndArray();
        _json.WriteStartArray("points");
    }

    public void BeginSource(ExportSource source)
    {
    }

    public long WriteRows(ExportSeries series, JsonElement rows)
    {
        string device = series.Device.Id.ToString();
        long points = 0;
        Span<byte> time = stackalloc byte[ExportTime.MaxBytes];
        foreach (JsonElement row in rows.EnumerateArray())
        {
            if (!ExportFormats.HasValue(row, series.Fields))
            {
                continue;
            }

            _json.WriteStartObject();
            _json.WriteString("time"u8, time[..ExportTime.WriteRfc3339(row[series.TimeColumn].GetInt64(), time)]);
            _json.WriteString("device"u8, device);
            _json.WriteString("retentionPolicy"u8, series.Source.RetentionPolicy);
            _json.WriteString("measurement"u8, series.Source.Kind);
            _json.WriteStartObject("fields"u8);
            foreach (ExportField field in series.Fields)
            {
                JsonElement value = row[field.Column];
                if (value.ValueKind != JsonValueKind.Null)
                {
                    _json.WritePropertyName(field.Name);
                    value.WriteTo(_json);
                }
            }

            _json.WriteEndObject();
            _json.WriteEndObject();
            points++;
        }

        return points;
    }

    public void WriteSummary(ExportSummary summary)
    {
        _json.WriteEndArray();
        _json.WriteStartObject("summary");
        _json.WriteNumber("points", summary.Points);
        _json.WriteStartObject("pointsBySource");
        foreach (var (source, points) in summary.PointsBySource)
        {
            _json.WriteNumber(source, points);
        }

        _json.WriteEndObject();
        _json.WriteEndObject();
        _json.WriteEndObject();
    }

    public void Flush() => _json.Flush();

    private void WriteTime(string name, DateTimeOffset? time)
    {
        if (time is { } value)
        {
            _json.WriteString(name, value);
        }
        else
        {
            _json.WriteNull(name);
        }
    }
}
