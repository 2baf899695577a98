namespace Datacake.Streams.Api.Queries;

/// <summary>The aggregates a query may ask for: a closed list, so no text of the caller's reaches InfluxQL as a function.</summary>
public enum Aggregate
{
    Mean,
    Min,
    Max,
    Sum,
    Count,
    First,
    Last,
    Median,
}

/// <summary>How empty <c>every</c> windows are answered (InfluxQL <c>fill()</c>).</summary>
public enum FillMode
{
    /// <summary>Empty windows are left out.</summary>
    None,

    /// <summary>Empty windows are present with null values.</summary>
    Null,

    Previous,
    Linear,
}

public static class QueryVocabulary
{
    public static bool TryParseAggregate(string? text, out Aggregate aggregate) => TryParse(text, out aggregate);

    public static bool TryParseFill(string? text, out FillMode fill) => TryParse(text, out fill);

    public static string Name(this Aggregate aggregate) => aggregate.ToString().ToLowerInvariant();

    public static string Name(this FillMode fill) => fill.ToString().ToLowerInvariant();

    /// <summary>Lower-case names only; numbers ("1") are not names even though Enum.TryParse takes them.</summary>
    private static bool TryParse<T>(string? text, out T value)
        where T : struct, Enum
    {
        value = default;
        if (string.IsNullOrEmpty(text) || !text.All(char.IsAsciiLetterLower))
        {
            return false;
        }

        return Enum.TryParse(text, ignoreCase: true, out value);
    }
}
