using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Datacake.Streams.Api.Export;

/// <summary>
/// CSV (RFC 4180, UTF-8, <c>\n</c> line ends) in long form, one row per point and field, so that devices with different
/// fields share one header: <c>time,device,device_name,workspace_id,workspace_name,retention_policy,measurement,field,value</c>.
/// </summary>
public sealed class CsvExportWriter(IBufferWriter<byte> output) : IExportWriter
{
    private static readonly byte[] s_header = "time,device,device_name,workspace_id,workspace_name,retention_policy,measurement,field,value\n"u8.ToArray();

    public string ContentType => "text/csv; charset=utf-8";

    public string FileExtension => "csv";

    public void WriteHeader(ExportHeader header) => ExportText.Bytes(output, s_header);

    public void BeginSource(ExportSource source)
    {
    }

    public long WriteRows(ExportSeries series, JsonElement rows)
    {
        // Everything between the time and the field is the same for the whole chunk: encoded once.
        var middle = new StringBuilder();
        foreach (string cell in new[] { series.Device.Id.ToString(), series.Device.Name, series.Device.WorkspaceId, series.Device.WorkspaceName, series.Source.RetentionPolicy, series.Source.Kind })
        {
            middle.Append(',').Append(Escape(cell));
        }

        middle.Append(',');
        byte[] prefix = Encoding.UTF8.GetBytes(middle.ToString());
        byte[][] fieldCells = series.Fields.Select(f => Encoding.UTF8.GetBytes(Escape(f.Name) + ",")).ToArray();
        long points = 0;
        Span<byte> time = stackalloc byte[ExportTime.MaxBytes];
        foreach (JsonElement row in rows.EnumerateArray())
        {
            if (!ExportFormats.HasValue(row, series.Fields))
            {
                continue;
            }

            int timeLength = ExportTime.WriteRfc3339(row[series.TimeColumn].GetInt64(), time);
            for (int i = 0; i < series.Fields.Count; i++)
            {
                JsonElement value = row[series.Fields[i].Column];
                if (value.ValueKind == JsonValueKind.Null)
                {
                    continue;
                }

                ExportText.Bytes(output, time[..timeLength]);
                ExportText.Bytes(output, prefix);
                ExportText.Bytes(output, fieldCells[i]);
                WriteValue(value, series.Fields[i].Type);
                ExportText.Byte(output, (byte)'\n');
            }

            points++;
        }

        return points;
    }

    public void WriteSummary(ExportSummary summary)
    {
    }

    public void Flush()
    {
    }

    private void WriteValue(JsonElement value, ExportFieldType type)
    {
        Span<byte> span = output.GetSpan(32);
        int written;
        switch (value.ValueKind)
        {
            case JsonValueKind.Number when type == ExportFieldType.Integer && value.TryGetInt64(out long integer):
                integer.TryFormat(span, out written, default, CultureInfo.InvariantCulture);
                output.Advance(written);
                break;
            case JsonValueKind.Number:
                value.GetDouble().TryFormat(span, out written, "R", CultureInfo.InvariantCulture);
                output.Advance(written);
                break;
            case JsonValueKind.True:
                ExportText.Bytes(output, "true"u8);
                break;
            case JsonValueKind.False:
                ExportText.Bytes(output, "false"u8);
                break;
            default:
                ExportText.Utf8(output, Escape(value.GetString() ?? string.Empty));
                break;
        }
    }

    /// <summary>RFC 4180: a cell with a comma, quote or line break is quoted, quotes doubled.</summary>
    private static string Escape(string cell) =>
        cell.AsSpan().IndexOfAny(",\"\r\n") < 0 ? cell : "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
