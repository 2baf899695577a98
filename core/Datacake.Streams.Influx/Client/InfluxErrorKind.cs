namespace Datacake.Streams.Influx.Client;

/// <summary>What went wrong talking to InfluxDB; decides whether a retry can help.</summary>
public enum InfluxErrorKind
{
    /// <summary>400: malformed line protocol or InfluxQL, field type conflict, partial write. Not retried.</summary>
    BadRequest,

    /// <summary>401: missing or wrong credentials. Not retried.</summary>
    Unauthorized,

    /// <summary>403: the user lacks the privilege. Not retried.</summary>
    Forbidden,

    /// <summary>
    /// The database (404) or retention policy (InfluxDB 1.x answers 500 "retention policy not found") does not
    /// exist. A configuration error: retrying cannot fix it, so it is not retried.
    /// </summary>
    NotFound,

    /// <summary>413: body above influxd's max-body-size (25 MB by default). Send smaller batches.</summary>
    TooLarge,

    /// <summary>A 5xx answer that persisted through the retries.</summary>
    ServerError,

    /// <summary>No answer: connection refused, reset, timeout, or 503, through all retries.</summary>
    Unavailable,

    /// <summary>A query statement failed (HTTP 200 with <c>results[i].error</c>).</summary>
    StatementFailed,
}
