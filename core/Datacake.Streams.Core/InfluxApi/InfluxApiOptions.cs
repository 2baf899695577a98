using Microsoft.Extensions.Options;

namespace Datacake.Streams.InfluxApi;

/// <summary>
/// The InfluxDB-compatible endpoints (<c>/write</c>, <c>/api/v2/write</c> on ingest; <c>/query</c>, <c>/ping</c> on
/// the api), section "InfluxApi". In core because both roles read it and neither references the other.
/// </summary>
public sealed record InfluxApiOptions
{
    public const string Section = "InfluxApi";

    /// <summary>
    /// The one virtual database clients name (<c>db=</c>): another name is answered 404 <c>database not found</c>, as
    /// InfluxDB answers. Which devices a request reaches is decided by its token, never by this name.
    /// </summary>
    public string Database { get; init; } = "datacake";
}

/// <summary>Refuses a database name a client could not send unquoted in InfluxQL or a query string.</summary>
public sealed class InfluxApiOptionsValidator : IValidateOptions<InfluxApiOptions>
{
    public ValidateOptionsResult Validate(string? name, InfluxApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var database = options.Database;
        return !string.IsNullOrEmpty(database) && database.Length <= 64 && database.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail("InfluxApi:Database: 1-64 characters of [A-Za-z0-9_.-]");
    }
}
