using Datacake.Streams.Influx.Querying;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.InfluxApi;

/// <summary>The InfluxDB-compatible endpoints (section "InfluxApi"): the name clients use, not the stored database's.</summary>
public sealed record InfluxApiOptions
{
    public const string Section = "InfluxApi";

    /// <summary>
    /// The one database the virtual schema shows (SHOW DATABASES, <c>db=</c>); the line-protocol writer accepts the
    /// same name. Independent of Influx:Database, which clients never see.
    /// </summary>
    public string Database { get; init; } = "datacake";

    /// <summary>
    /// Largest query text (bytes of <c>q</c>, query string or form body): Grafana's panels are well under 4 KiB; 256 KiB
    /// leaves room for long template-variable lists while keeping a parse bounded.
    /// </summary>
    public int MaxQueryBytes { get; init; } = 256 * 1024;
}

public sealed class InfluxApiOptionsValidator : IValidateOptions<InfluxApiOptions>
{
    public ValidateOptionsResult Validate(string? name, InfluxApiOptions options)
    {
        var failures = new List<string>();
        if (!InfluxQl.IsValidIdentifier(options.Database) || options.Database.Length > 64)
        {
            failures.Add("InfluxApi:Database must be a name of 1-64 characters without control characters");
        }

        if (options.MaxQueryBytes is < 1024 or > 16 * 1024 * 1024)
        {
            failures.Add("InfluxApi:MaxQueryBytes must be 1024 to 16777216");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
