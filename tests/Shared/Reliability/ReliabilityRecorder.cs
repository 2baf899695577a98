using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Datacake.Streams.TestSupport.Reliability;

/// <summary>
/// What a reliability test counted, for one row of docs/RELIABILITY.md (ops/reliability/run.sh): every number is
/// optional, a test states only what it measured.
/// </summary>
public sealed record ReliabilityNumbers
{
    public long? Sent { get; init; }

    public long? Acknowledged { get; init; }

    public long? Stored { get; init; }

    public long? Lost { get; init; }

    public long? Duplicated { get; init; }

    /// <summary>A latency the test measured (its meaning in <see cref="Note"/>), in milliseconds.</summary>
    public double? LatencyMs { get; init; }

    /// <summary>A process's memory the test measured (its meaning in <see cref="Note"/>), in MiB.</summary>
    public double? MemoryMiB { get; init; }

    /// <summary>Anything else worth a reader's eye, in a few words (e.g. "12 joins, 11 leaves in 40 s").</summary>
    public string? Note { get; init; }
}

/// <summary>
/// Appends one JSON line per measured scenario to the file <c>DCS_RELIABILITY_OUT</c> names (the reliability runner
/// sets it and merges the lines with the trx results); without the variable, it does nothing. A test calls it after
/// its assertions held, so a failing test leaves no numbers that look like a pass.
/// </summary>
public static class ReliabilityRecorder
{
    public const string Variable = "DCS_RELIABILITY_OUT";

    private static readonly Lock s_lock = new();

    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Records <paramref name="numbers"/> for the row <paramref name="row"/> (the test's <c>Reliability</c> trait).</summary>
    public static void Record(string row, ReliabilityNumbers numbers, [CallerMemberName] string test = "")
    {
        if (Environment.GetEnvironmentVariable(Variable) is not { Length: > 0 } path)
        {
            return;
        }

        var line = JsonSerializer.Serialize(new ReliabilityLine(row, test, DateTimeOffset.UtcNow, numbers), s_json);
        lock (s_lock)
        {
            File.AppendAllText(path, line + "\n");
        }
    }

    private sealed record ReliabilityLine(string Row, string Test, DateTimeOffset At, ReliabilityNumbers Numbers);
}
