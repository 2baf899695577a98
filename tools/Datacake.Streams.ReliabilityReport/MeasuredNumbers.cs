using System.Globalization;
using System.Text.Json;

namespace Datacake.Streams.ReliabilityReport;

/// <summary>
/// What one test counted for its row: a line of the file DCS_RELIABILITY_OUT names (written by the tests'
/// <c>ReliabilityRecorder</c>), or a slow script's outcome written by the runner. Every number is optional.
/// </summary>
public sealed record MeasuredNumbers
{
    public long? Sent { get; init; }

    public long? Acknowledged { get; init; }

    public long? Stored { get; init; }

    public long? Lost { get; init; }

    public long? Duplicated { get; init; }

    public double? LatencyMs { get; init; }

    public double? MemoryMiB { get; init; }

    public string? Note { get; init; }

    /// <summary>The numbers as one table cell, e.g. "sent 100, stored 100, lost 0"; empty when nothing was counted.</summary>
    public string Describe()
    {
        var parts = new List<string>();
        Add(parts, "sent", Sent);
        Add(parts, "acknowledged", Acknowledged);
        Add(parts, "stored", Stored);
        Add(parts, "lost", Lost);
        Add(parts, "duplicated", Duplicated);
        if (LatencyMs is { } latency)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"latency {latency:0.#} ms"));
        }

        if (MemoryMiB is { } memory)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"memory {memory:0.#} MiB"));
        }

        if (Note is { Length: > 0 } note)
        {
            parts.Add(note);
        }

        return string.Join(", ", parts);
    }

    private static void Add(List<string> parts, string name, long? value)
    {
        if (value is { } v)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{name} {v:N0}"));
        }
    }
}

/// <summary>One line of the numbers file: the row, the test (method name) that counted, when, and the numbers.</summary>
public sealed record MeasuredLine(string Row, string Test, DateTimeOffset At, MeasuredNumbers Numbers, string? Outcome = null)
{
    /// <summary>Reads a numbers file: one JSON object per line; blank lines skipped, a broken line is an error naming it.</summary>
    public static IReadOnlyList<MeasuredLine> ReadAll(string text)
    {
        var lines = new List<MeasuredLine>();
        var number = 0;
        foreach (var line in text.Split('\n'))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                lines.Add(JsonSerializer.Deserialize<MeasuredLine>(line, Json.Options) ?? throw new FormatException("null"));
            }
            catch (JsonException e)
            {
                throw new FormatException($"numbers line {number} is not a measured line: {e.Message}", e);
            }
        }

        return lines;
    }
}
