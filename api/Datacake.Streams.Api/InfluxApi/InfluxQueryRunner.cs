using Datacake.Streams.InfluxApi;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.InfluxApi.Language;
using Datacake.Streams.Api.Queries;
using Datacake.Streams.Api.Retention;
using Datacake.Streams.Influx.Client;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.InfluxApi;

/// <summary>The request's <c>db</c> and <c>rp</c>, the defaults of every statement.</summary>
public sealed record InfluxRequestContext(string? Database, string? Policy, IReadOnlyCollection<ReadableDevice> Devices);

/// <summary>
/// Answers one parsed statement within the caller's devices. Metadata (SHOW) is answered from the virtual schema and
/// the caller's own device list; SELECT is scoped here (<see cref="ScopedSelect"/>) and run by <see cref="InfluxSelect"/>.
/// </summary>
public sealed partial class InfluxQueryRunner(InfluxSelect select, SeriesReader reader, RetentionCatalog catalog, TimeProvider time, IOptions<InfluxApiOptions> options)
{
    public async Task<InfluxStatementAnswer> RunAsync(int id, InfluxStatement statement, InfluxRequestContext request, CancellationToken cancellationToken)
    {
        try
        {
            IReadOnlyList<InfluxAnswerSeries> series = statement switch
            {
                RefusedStatement refused => throw new InfluxStatementException(refused.Error),
                ShowDatabasesStatement => [new InfluxAnswerSeries("databases", null, ["name"], [[Json(options.Value.Database)]])],
                ShowRetentionPoliciesStatement show => await RetentionPoliciesAsync(show, request, cancellationToken),
                ShowMeasurementsStatement show => Measurements(show, request),
                ShowTagKeysStatement show => TagKeys(show, request),
                ShowTagValuesStatement show => TagValues(show, request),
                ShowFieldKeysStatement show => await FieldKeysAsync(show, request, cancellationToken),
                SelectStatement query => await SelectAsync(query, request, cancellationToken),
                _ => throw new InfluxStatementException("statement not supported"),
            };
            return new InfluxStatementAnswer(id, series);
        }
        catch (InfluxStatementException ex)
        {
            return new InfluxStatementAnswer(id, [], ex.Message);
        }
        catch (InfluxQueryException ex) when (ex.Kind == InfluxErrorKind.StatementFailed)
        {
            // InfluxDB's own complaint about a statement built from the caller's tree (a mean over strings, say).
            return new InfluxStatementAnswer(id, [], ex.ServerMessage ?? "the statement failed");
        }
        catch (ArgumentException)
        {
            // Quoting refused a name (control characters): nothing was sent.
            return new InfluxStatementAnswer(id, [], "invalid identifier or string: control characters cannot be spelled in InfluxQL");
        }
    }

    private async Task<IReadOnlyList<InfluxAnswerSeries>> SelectAsync(SelectStatement statement, InfluxRequestContext request, CancellationToken cancellationToken)
    {
        string? policyName = request.Policy;
        foreach (MeasurementSource source in statement.Sources)
        {
            RequireDatabase(source.Database, request);
            policyName = source.Policy ?? policyName;
        }

        if (statement.Sources.All(s => s.Database is null))
        {
            RequireDatabase(null, request);
        }

        StorageTier? policy = Policy(policyName);
        if (!VirtualSchema.Selects(statement.Sources))
        {
            return [];
        }

        DateTimeOffset now = time.GetUtcNow();
        long nowNs = (now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
        WhereClause where = WhereClause.Split(statement.Where, nowNs);
        var devices = request.Devices.Where(where.Admits).ToList();
        RetentionSettings retention = await catalog.CurrentAsync(cancellationToken);

        // No lower bound: as far back as any tier keeps points. No upper bound: now for aggregates and windows (as
        // InfluxDB), the end of InfluxDB's time for raw points (a device's clock may run ahead).
        bool windows = statement.Interval is not null || statement.Fields.Any(f => f.Expression is CallExpr);
        DateTimeOffset from = where.From is { } f ? Clamp(f) : now - retention.H1.Duration;
        DateTimeOffset to = where.To is { } t ? Clamp(CeilingTick(t)) : windows ? now : QueryTime.FromUnixNanoseconds(MaxNanoseconds);
        return await select.ExecuteAsync(new ScopedSelect(statement, devices, policy, from, to, where.FieldConditions), cancellationToken);
    }

    // InfluxDB's time range: 1677-09-21 to 2262-04-11, in whole 100 ns ticks.
    private const long MaxNanoseconds = 9_223_372_036_854_775_800;

    /// <summary>An exclusive end on a whole 100 ns tick: <c>time &lt;= X</c> is <c>time &lt; X + 1ns</c>, which must not truncate back to X.</summary>
    private static long CeilingTick(long nanoseconds) =>
        nanoseconds >= MaxNanoseconds ? MaxNanoseconds : nanoseconds % 100 is var rest && rest > 0 ? nanoseconds - rest + 100 : nanoseconds;

    private static DateTimeOffset Clamp(long nanoseconds) => QueryTime.FromUnixNanoseconds(Math.Clamp(nanoseconds, -MaxNanoseconds, MaxNanoseconds));

    private static StorageTier? Policy(string? name) => name switch
    {
        null or "" => null,
        RetentionPolicyNames.Raw => StorageTier.Raw,
        RetentionPolicyNames.M1 => StorageTier.M1,
        RetentionPolicyNames.H1 => StorageTier.H1,
        _ => throw new InfluxStatementException($"retention policy not found: {name}"),
    };

    private void RequireDatabase(string? named, InfluxRequestContext request)
    {
        string? database = named ?? request.Database;
        if (string.IsNullOrEmpty(database))
        {
            throw new InfluxStatementException("database name required");
        }

        if (!string.Equals(database, options.Value.Database, StringComparison.Ordinal))
        {
            throw new InfluxStatementException($"database not found: {database}");
        }
    }
}
