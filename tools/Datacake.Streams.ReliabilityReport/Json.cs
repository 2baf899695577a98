using System.Text.Json;
using System.Text.Json.Serialization;

namespace Datacake.Streams.ReliabilityReport;

/// <summary>One set of JSON options for every file the report reads and writes: camelCase, nulls left out.</summary>
internal static class Json
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
    };
}
