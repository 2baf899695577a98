using System.Text.Json;

namespace Datacake.Streams.Api.Export;

/// <summary>
/// One export format, writing into the response's buffer writer. The exporter calls it per streamed chunk and flushes the
/// output after each, so no format ever holds more than a chunk.
/// </summary>
public interface IExportWriter
{
    string ContentType { get; }

    /// <summary>File name extension for Content-Disposition, without the dot.</summary>
    string FileExtension { get; }

    void WriteHeader(ExportHeader header);

    void BeginSource(ExportSource source);

    /// <summary>Writes the chunk's rows (a JSON array of rows); returns the points written (rows with at least one value).</summary>
    long WriteRows(ExportSeries series, JsonElement rows);

    /// <summary>Last: the summary; its presence tells a reader the export is complete.</summary>
    void WriteSummary(ExportSummary summary);

    /// <summary>Hands what the writer buffers itself to the output (before the output is flushed).</summary>
    void Flush();
}

/// <summary>The formats of <c>?format=</c>.</summary>
public enum ExportFormat
{
    /// <summary>InfluxDB line protocol with the influx CLI's <c># DML</c> / <c># CONTEXT-…</c> comments: re-importable.</summary>
    Lp,

    /// <summary>One row per point and field: time, device, device name, workspace, tier, measurement, field, value.</summary>
    Csv,

    /// <summary>One JSON document: workspace, devices, and an array of points.</summary>
    Json,
}

public static class ExportFormats
{
    public static bool TryParse(string? text, out ExportFormat format)
    {
        switch (text)
        {
            case null or "" or "lp" or "line-protocol":
                format = ExportFormat.Lp;
                return true;
            case "csv":
                format = ExportFormat.Csv;
                return true;
            case "json":
                format = ExportFormat.Json;
                return true;
            default:
                format = default;
                return false;
        }
    }

    public static IExportWriter Create(ExportFormat format, System.Buffers.IBufferWriter<byte> output) => format switch
    {
        ExportFormat.Csv => new CsvExportWriter(output),
        ExportFormat.Json => new JsonExportWriter(output),
        _ => new LineProtocolExportWriter(output),
    };

    /// <summary>Whether a row has a value for at least one field: a line needs a field, a CSV row a value.</summary>
    public static bool HasValue(JsonElement row, IReadOnlyList<ExportField> fields)
    {
        for (int i = 0; i < fields.Count; i++)
        {
            if (row[fields[i].Column].ValueKind != JsonValueKind.Null)
            {
                return true;
            }
        }

        return false;
    }
}
