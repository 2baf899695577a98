using Datacake.Streams.Api.Access;

namespace Datacake.Streams.Api.Export;

/// <summary>
/// One retention policy an export reads and the kind of points it holds there (<c>values</c> or <c>meta</c>, the
/// names the export's summary and its csv/json rows use); the points themselves sit in one measurement per device.
/// </summary>
public sealed record ExportSource(string RetentionPolicy, string Kind);

/// <summary>A field's stored type, from <c>SHOW FIELD KEYS</c>: InfluxDB's JSON does not tell 1.0 from 1.</summary>
public enum ExportFieldType
{
    Float,
    Integer,
    String,
    Boolean,
}

/// <summary>A field column of a series chunk.</summary>
public readonly record struct ExportField(string Name, int Column, ExportFieldType Type);

/// <summary>The shape of one streamed series chunk, worked out once per chunk, so that rows are written without lookups.</summary>
public sealed record ExportSeries(
    ExportSource Source,
    string Measurement,
    IReadOnlyList<KeyValuePair<string, string>> Tags,
    ReadableDevice Device,
    int TimeColumn,
    IReadOnlyList<ExportField> Fields);

/// <summary>What the export is of, written at its start.</summary>
public sealed record ExportHeader(
    string WorkspaceId,
    string WorkspaceName,
    DateTimeOffset? From,
    DateTimeOffset? To,
    DateTimeOffset CreatedAt,
    string Database,
    IReadOnlyList<ReadableDevice> Devices);

/// <summary>What was exported: points per source, written at the end (its presence says the export is complete).</summary>
public sealed record ExportSummary(long Points, IReadOnlyDictionary<string, long> PointsBySource);
