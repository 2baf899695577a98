namespace Datacake.Streams.Influx.Querying;

/// <summary>The answer to an InfluxQL request: one result per statement, in order. Every statement succeeded.</summary>
public sealed record InfluxQueryResult(IReadOnlyList<InfluxStatementResult> Statements);

/// <summary>One statement's series (empty for commands and for queries that matched nothing).</summary>
public sealed record InfluxStatementResult(int StatementId, IReadOnlyList<InfluxSeries> Series);
