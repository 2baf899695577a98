using Datacake.Streams.Influx.Querying;

namespace Datacake.Streams.Influx.Client;

public sealed partial class InfluxClient
{
    /// <summary>
    /// Runs InfluxQL (POST /query, <c>epoch=ns</c>) and returns every statement's series. Throws
    /// <see cref="InfluxQueryException"/> for a refused request and for the first failed statement (with its index).
    /// Build the text with <see cref="InfluxQl"/> quoting: never concatenate raw input.
    /// </summary>
    /// <param name="database">Database to run in; null uses <see cref="InfluxOptions.Database"/>.</param>
    public async Task<InfluxQueryResult> QueryAsync(string influxQl, string? database = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(influxQl);
        var form = new List<KeyValuePair<string, string>>(3)
        {
            new("q", influxQl),
            new("db", database ?? Options.Database),
            new("epoch", "ns"),
        };
        InfluxResponse response = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Post, _baseUrl + "query") { Content = new FormUrlEncodedContent(form) },
            retry: true,
            cancellationToken).ConfigureAwait(false);

        if (response.Failure is not null)
        {
            throw new InfluxQueryException(
                InfluxErrorKind.Unavailable,
                $"InfluxDB at {Options.Url} did not answer after {response.Attempts} attempt(s): {response.Failure.Message}",
                attempts: response.Attempts,
                innerException: response.Failure);
        }

        if (response.Status is < 200 or > 299)
        {
            string error = ErrorText(response.Body);
            InfluxErrorKind kind = WriteErrorAnalysis.Classify(response.Status, error);
            throw new InfluxQueryException(kind, $"InfluxDB refused the query with HTTP {response.Status} ({kind}): {error}", statusCode: response.Status, serverMessage: error, attempts: response.Attempts);
        }

        return QueryResponseReader.Read(response.Body, influxQl, response.Attempts);
    }

    /// <summary>
    /// Runs commands (CREATE DATABASE, CREATE/ALTER RETENTION POLICY, CREATE CONTINUOUS QUERY, DROP ...) with the
    /// same per-statement checks as <see cref="QueryAsync"/>.
    /// </summary>
    /// <param name="database">Database context; null uses <see cref="InfluxOptions.Database"/> (commands that name their database ignore it).</param>
    public async Task ExecuteAsync(string influxQl, string? database = null, CancellationToken cancellationToken = default) =>
        await QueryAsync(influxQl, database, cancellationToken).ConfigureAwait(false);
}
