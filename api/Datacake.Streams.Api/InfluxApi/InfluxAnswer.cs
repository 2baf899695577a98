using System.Text.Json;

namespace Datacake.Streams.Api.InfluxApi;

/// <summary>
/// One series of a statement's answer. When the first column is <c>time</c>, its values are epoch nanoseconds
/// (numbers) and are written as the request's <c>epoch</c> asks (RFC 3339 when absent).
/// </summary>
/// <param name="Times">The time column as numbers, when the rows leave it out (their first element unset): a
/// <see cref="JsonElement"/> of its own per row cost a small document each (1,440 per panel).</param>
public sealed record InfluxAnswerSeries(string Name, IReadOnlyDictionary<string, string>? Tags, IReadOnlyList<string> Columns, IReadOnlyList<JsonElement[]> Values, IReadOnlyList<long>? Times = null)
{
    public bool HasTime => Columns.Count > 0 && Columns[0] == "time";
}

/// <summary>One statement's answer: series, or the error InfluxDB would give.</summary>
public sealed record InfluxStatementAnswer(int StatementId, IReadOnlyList<InfluxAnswerSeries> Series, string? Error = null);
