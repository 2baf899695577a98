using System.IO.Pipelines;
using System.Text;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Queries;
using Datacake.Streams.Api.Retention;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.Querying;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.Export;

/// <summary>
/// Streams a workspace's points out of InfluxDB: per tier, per batch of devices, one <c>chunked=true</c> query whose
/// chunks are written and flushed one at a time. Memory is one chunk plus the pipe's back-pressure window, whatever
/// the size of the workspace; a slow client slows the reading from InfluxDB instead of filling memory.
/// </summary>
public sealed class WorkspaceExporter(InfluxClient influx, IOptions<ExportOptions> options)
{
    /// <summary>What an export holds, in this order: raw points, radio metadata, then the two rollup tiers.</summary>
    public static readonly IReadOnlyList<ExportSource> AllSources =
    [
        new(RetentionPolicyNames.Raw, "values"),
        new(RetentionPolicyNames.Meta, "meta"),
        new(RetentionPolicyNames.M1, "values"),
        new(RetentionPolicyNames.H1, "values"),
    ];

    public string Database => influx.Options.Database;

    /// <summary>The sources whose retention policy exists (a query on a missing one fails). Throws <see cref="InfluxException"/>.</summary>
    public async Task<IReadOnlyList<ExportSource>> SourcesAsync(CancellationToken cancellationToken)
    {
        InfluxQueryResult result = await influx.QueryAsync($"SHOW RETENTION POLICIES ON {InfluxQl.QuoteIdentifier(Database)}", Database, cancellationToken).ConfigureAwait(false);
        var policies = new HashSet<string>(StringComparer.Ordinal);
        foreach (InfluxSeries series in result.Statements[0].Series)
        {
            for (int row = 0; row < series.Values.Count; row++)
            {
                policies.Add(series.GetString(row, "name") ?? string.Empty);
            }
        }

        return AllSources.Where(s => policies.Contains(s.RetentionPolicy)).ToList();
    }

    /// <summary>
    /// Writes the export into <paramref name="output"/>, flushing after every chunk. Only series whose <c>device</c>
    /// tag is one of <paramref name="devices"/> are written, whatever InfluxDB answers.
    /// </summary>
    public async Task<ExportSummary> RunAsync(
        ExportHeader header,
        IReadOnlyList<ExportSource> sources,
        IExportWriter writer,
        PipeWriter output,
        CancellationToken cancellationToken)
    {
        var byId = header.Devices.ToDictionary(d => d.Id.ToString(), StringComparer.Ordinal);
        var bySource = new Dictionary<string, long>(StringComparer.Ordinal);
        long total = 0;
        writer.WriteHeader(header);
        foreach (ExportSource source in sources)
        {
            writer.BeginSource(source);
            long points = 0;
            if (byId.Count > 0)
            {
                foreach (string[] batch in byId.Keys.Order(StringComparer.Ordinal).Chunk(options.Value.DevicesPerQuery))
                {
                    Dictionary<string, Dictionary<string, ExportFieldType>> types = await FieldTypesAsync(source, batch, cancellationToken).ConfigureAwait(false);
                    string query = Select(source, batch, header.From, header.To);
                    await foreach (InfluxSeriesChunk chunk in influx.StreamQueryAsync(query, Database, options.Value.ChunkSize, cancellationToken: cancellationToken).ConfigureAwait(false))
                    {
                        if (Shape(source, chunk, byId, types) is not { } series)
                        {
                            continue;
                        }

                        points += writer.WriteRows(series, chunk.Rows);
                        writer.Flush();
                        FlushResult flushed = await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                        if (flushed.IsCanceled || flushed.IsCompleted)
                        {
                            throw new OperationCanceledException("the client stopped reading the export");
                        }
                    }
                }
            }

            bySource[$"{source.RetentionPolicy}.{source.Kind}"] = points;
            total += points;
        }

        var summary = new ExportSummary(total, bySource);
        writer.WriteSummary(summary);
        writer.Flush();
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return summary;
    }

    /// <summary>
    /// <c>SELECT *</c> of the devices, <c>GROUP BY *</c> so that tags come once per series rather than once per row.
    /// The devices' own measurements, each named and quoted as the series queries name them; no device tag filter
    /// (a measurement holds one device's points).
    /// </summary>
    public string Select(ExportSource source, IReadOnlyList<string> deviceIds, DateTimeOffset? from, DateTimeOffset? to)
    {
        var text = new StringBuilder(128 + (deviceIds.Count * 32));
        text.Append("SELECT * FROM ")
            .Append(SeriesStatement.From(Database, source.RetentionPolicy, deviceIds));
        if (from is { } start)
        {
            text.Append(" WHERE time >= ").Append(InfluxDuration.Timestamp(start));
        }

        if (to is { } end)
        {
            text.Append(from is null ? " WHERE" : " AND").Append(" time < ").Append(InfluxDuration.Timestamp(end));
        }

        return text.Append(" GROUP BY *").ToString();
    }

    /// <summary>
    /// Field types per device measurement of the batch: each device's own (one device's string is not another's). One
    /// SHOW per measurement, in one request: influxd 1.6's cost of one SHOW FIELD KEYS grows with the square of the
    /// measurements it names (10: 82 ms, 100: 6.9 s), one at a time it is ~8 ms each.
    /// </summary>
    private async Task<Dictionary<string, Dictionary<string, ExportFieldType>>> FieldTypesAsync(ExportSource source, IReadOnlyList<string> deviceIds, CancellationToken cancellationToken)
    {
        string text = string.Join(";\n", deviceIds.Select(d => $"SHOW FIELD KEYS ON {InfluxQl.QuoteIdentifier(Database)} FROM {SeriesStatement.From(Database, source.RetentionPolicy, [d])}"));
        InfluxQueryResult result = await influx.QueryAsync(text, Database, cancellationToken).ConfigureAwait(false);
        var byMeasurement = new Dictionary<string, Dictionary<string, ExportFieldType>>(StringComparer.Ordinal);
        foreach (InfluxSeries series in result.Statements.SelectMany(s => s.Series))
        {
            if (!byMeasurement.TryGetValue(series.Name, out Dictionary<string, ExportFieldType>? types))
            {
                byMeasurement[series.Name] = types = new Dictionary<string, ExportFieldType>(StringComparer.Ordinal);
            }

            for (int row = 0; row < series.Values.Count; row++)
            {
                string? key = series.GetString(row, "fieldKey");
                if (key is not null && !types.ContainsKey(key))
                {
                    types[key] = series.GetString(row, "fieldType") switch
                    {
                        "integer" => ExportFieldType.Integer,
                        "string" => ExportFieldType.String,
                        "boolean" => ExportFieldType.Boolean,
                        _ => ExportFieldType.Float,
                    };
                }
            }
        }

        return byMeasurement;
    }

    private static ExportSeries? Shape(ExportSource source, InfluxSeriesChunk chunk, Dictionary<string, ReadableDevice> devices, Dictionary<string, Dictionary<string, ExportFieldType>> byMeasurement)
    {
        Dictionary<string, ExportFieldType> types = byMeasurement.GetValueOrDefault(chunk.Name) ?? [];
        IReadOnlyList<KeyValuePair<string, string>> tags = chunk.Tags;
        string? deviceId = tags.FirstOrDefault(t => t.Key == "device").Value;

        // Defence in depth: the WHERE clause already names only these devices.
        if (deviceId is null || !devices.TryGetValue(deviceId, out ReadableDevice? device) || chunk.Rows.ValueKind != System.Text.Json.JsonValueKind.Array)
        {
            return null;
        }

        IReadOnlyList<string> columns = chunk.Columns;
        int time = -1;
        var fields = new List<ExportField>(columns.Count);
        for (int i = 0; i < columns.Count; i++)
        {
            if (columns[i] == "time")
            {
                time = i;
            }
            else
            {
                fields.Add(new ExportField(columns[i], i, types.GetValueOrDefault(columns[i], ExportFieldType.Float)));
            }
        }

        return time < 0 || fields.Count == 0 ? null : new ExportSeries(source, chunk.Name, tags, device, time, fields);
    }
}
