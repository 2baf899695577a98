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

    /// <summary>
    /// Largest query text (bytes of <c>q</c>, query string or form body): Grafana's panels are well under 4 KiB; 256 KiB
    /// leaves room for long template-variable lists while keeping a parse bounded.
    /// </summary>
    public int MaxQueryBytes { get; init; } = 256 * 1024;
}

/// <summary>
/// The names of the virtual schema InfluxDB clients see, one home for the reader (<c>/query</c>) and the writer
/// (<c>/write</c>): one measurement, tags <c>device</c> (the device's name), <c>device_id</c>, <c>workspace_id</c>.
/// </summary>
public static class InfluxApiSchema
{
    public const string Measurement = "measurements";
    public const string DeviceTag = "device";
    public const string DeviceIdTag = "device_id";
    public const string WorkspaceTag = "workspace_id";
}

/// <summary>Refuses a database name a client could not send unquoted in InfluxQL or a query string, and an unbounded query size.</summary>
public sealed class InfluxApiOptionsValidator : IValidateOptions<InfluxApiOptions>
{
    public ValidateOptionsResult Validate(string? name, InfluxApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var database = options.Database;
        if (string.IsNullOrEmpty(database) || database.Length > 64 || !database.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
        {
            failures.Add("InfluxApi:Database: 1-64 characters of [A-Za-z0-9_.-]");
        }

        if (options.MaxQueryBytes is < 1024 or > 16 * 1024 * 1024)
        {
            failures.Add("InfluxApi:MaxQueryBytes: 1024 to 16777216");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
