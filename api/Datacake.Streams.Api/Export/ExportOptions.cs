using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.Export;

/// <summary>How a workspace export reads InfluxDB (section "Export").</summary>
public sealed record ExportOptions
{
    public const string Section = "Export";

    /// <summary>
    /// Rows per streamed chunk (InfluxDB's <c>chunk_size</c>). Memory holds one chunk: 5,000 rows of a few fields are
    /// ~400 KB of JSON, and fewer, larger chunks cost no measurable speed (5,000 vs 20,000 within noise here).
    /// </summary>
    public int ChunkSize { get; init; } = 5_000;

    /// <summary>Devices per query: one anchored regex over the tag index, as the series queries do (1,000 ids ≈ 31 KB of InfluxQL).</summary>
    public int DevicesPerQuery { get; init; } = 500;
}

public sealed class ExportOptionsValidator : IValidateOptions<ExportOptions>
{
    public ValidateOptionsResult Validate(string? name, ExportOptions options)
    {
        var failures = new List<string>();
        if (options.ChunkSize is < 100 or > 100_000)
        {
            failures.Add("Export:ChunkSize must be 100-100000 rows");
        }

        if (options.DevicesPerQuery is < 1 or > 1_000)
        {
            failures.Add("Export:DevicesPerQuery must be 1-1000");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
