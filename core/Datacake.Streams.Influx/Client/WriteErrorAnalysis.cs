using System.Globalization;
using System.Text.RegularExpressions;
using Datacake.Streams.Influx.LineProtocol;

namespace Datacake.Streams.Influx.Client;

/// <summary>
/// Turns an InfluxDB 1.x write error into a typed <see cref="InfluxWriteException"/>, naming the refused points.
/// </summary>
/// <remarks>
/// Shapes seen on influxd 1.6.7 (HTTP 400, body <c>{"error":"..."}</c>):
/// <list type="bullet">
/// <item>Some lines unparsable, others fine: <c>partial write: unable to parse 'LINE': REASON\nunable to parse 'LINE2': REASON2 dropped=0</c>
/// (the good points are stored; "dropped" counts only storage-side drops).</item>
/// <item>No line parsable: <c>unable to parse 'LINE': REASON...</c> without the prefix; nothing is stored.</item>
/// <item>Storage-side refusal: <c>partial write: field type conflict: input field "f" on measurement "m" is type string,
/// already exists as type integer dropped=N</c>; every point of that measurement whose field f has another type is
/// dropped, and only the first reason is reported. Likewise <c>invalid field name</c> / <c>invalid tag key</c>
/// (the key <c>time</c>). When a batch has both parse errors and a storage-side refusal, influxd reports only the latter.</item>
/// </list>
/// </remarks>
internal static partial class WriteErrorAnalysis
{
    private const string PartialWritePrefix = "partial write:";
    private const string UnableToParse = "unable to parse '";

    public static InfluxWriteException FromResponse(int status, string? serverMessage, ReadOnlySpan<byte> batch, int attempts)
    {
        string text = serverMessage ?? string.Empty;
        InfluxErrorKind kind = Classify(status, text);
        string message = $"InfluxDB write failed with HTTP {status} ({kind}) after {attempts} attempt(s): {text}";
        if (kind != InfluxErrorKind.BadRequest)
        {
            return new InfluxWriteException(kind, message, status, text, attempts: attempts);
        }

        List<string> lines = LineProtocolLines.Split(batch);
        bool partial = text.StartsWith(PartialWritePrefix, StringComparison.Ordinal);
        var rejected = new List<RejectedLine>();
        int parseFailures = CollectParseFailures(text, lines, rejected);
        int dropped = 0;
        Match droppedMatch = DroppedPattern().Match(text);
        if (droppedMatch.Success)
        {
            dropped = int.Parse(droppedMatch.Groups["n"].ValueSpan, CultureInfo.InvariantCulture);
            CollectStorageRefusals(text, lines, rejected);
        }

        int rejectedCount = partial ? Math.Min(lines.Count, parseFailures + dropped) : lines.Count;
        bool kept = partial && rejectedCount < lines.Count;
        rejected.Sort((a, b) => a.Index.CompareTo(b.Index));
        string summary = kept
            ? $"{message} (server kept {lines.Count - rejectedCount} of {lines.Count} points; refused indexes: {string.Join(", ", rejected.Select(r => r.Index))})"
            : $"{message} (server kept none of {lines.Count} points)";
        return new InfluxWriteException(kind, summary, status, text, rejected, rejectedCount, kept, attempts);
    }

    /// <summary>Whether a retry can help: 5xx that is not a missing database or retention policy.</summary>
    public static bool IsRetryable(InfluxErrorKind kind) => kind is InfluxErrorKind.ServerError or InfluxErrorKind.Unavailable;

    public static InfluxErrorKind Classify(int status, string serverMessage) => status switch
    {
        401 => InfluxErrorKind.Unauthorized,
        403 => InfluxErrorKind.Forbidden,
        404 => InfluxErrorKind.NotFound,
        413 => InfluxErrorKind.TooLarge,
        503 => InfluxErrorKind.Unavailable,
        >= 500 when serverMessage.StartsWith("retention policy not found", StringComparison.Ordinal)
            || serverMessage.StartsWith("database not found", StringComparison.Ordinal) => InfluxErrorKind.NotFound,
        >= 500 => InfluxErrorKind.ServerError,
        _ => InfluxErrorKind.BadRequest,
    };

    private static int CollectParseFailures(string text, List<string> lines, List<RejectedLine> rejected)
    {
        var unclaimed = new Dictionary<string, Queue<int>>(StringComparer.Ordinal);
        for (int i = 0; i < lines.Count; i++)
        {
            if (!unclaimed.TryGetValue(lines[i], out Queue<int>? indexes))
            {
                indexes = new Queue<int>();
                unclaimed[lines[i]] = indexes;
            }

            indexes.Enqueue(i);
        }

        int failures = 0;
        int at = text.IndexOf(UnableToParse, StringComparison.Ordinal);
        while (at >= 0)
        {
            failures++;
            int start = at + UnableToParse.Length;
            int next = text.IndexOf("\n" + UnableToParse, start, StringComparison.Ordinal);
            int entryEnd = next < 0 ? text.Length : next;

            // The line may itself hold "': ", so try each candidate end until one is a line of the batch.
            int end = text.IndexOf("': ", start, StringComparison.Ordinal);
            while (end >= 0 && end < entryEnd)
            {
                if (unclaimed.TryGetValue(text[start..end], out Queue<int>? indexes) && indexes.Count > 0)
                {
                    string reason = DroppedPattern().Replace(text[(end + 3)..entryEnd], string.Empty);
                    rejected.Add(new RejectedLine(indexes.Dequeue(), text[start..end], reason));
                    break;
                }

                end = text.IndexOf("': ", end + 1, StringComparison.Ordinal);
            }

            at = next < 0 ? -1 : next + 1;
        }

        return failures;
    }

    private static void CollectStorageRefusals(string text, List<string> lines, List<RejectedLine> rejected)
    {
        string reason = DroppedPattern().Replace(text[PartialWritePrefix.Length..], string.Empty).Trim();
        Match conflict = FieldTypeConflictPattern().Match(text);
        Match invalidField = InvalidFieldPattern().Match(text);
        Match invalidTag = InvalidTagPattern().Match(text);
        for (int i = 0; i < lines.Count; i++)
        {
            if (!conflict.Success && !invalidField.Success && !invalidTag.Success)
            {
                return;
            }

            ParsedLine line = LineProtocolLines.Parse(lines[i]);
            bool refused =
                (conflict.Success && line.Measurement == conflict.Groups["m"].Value
                    && line.Fields.Any(f => f.Key == conflict.Groups["field"].Value && f.Type != conflict.Groups["existing"].Value))
                || (invalidField.Success && line.Measurement == invalidField.Groups["m"].Value
                    && line.Fields.Any(f => f.Key == invalidField.Groups["field"].Value))
                || (invalidTag.Success && line.Measurement == invalidTag.Groups["m"].Value
                    && line.TagKeys.Contains(invalidTag.Groups["tag"].Value));
            if (refused && !rejected.Any(r => r.Index == i))
            {
                rejected.Add(new RejectedLine(i, lines[i], reason));
            }
        }
    }

    [GeneratedRegex(@" dropped=(?<n>\d+)$")]
    private static partial Regex DroppedPattern();

    [GeneratedRegex("field type conflict: input field \"(?<field>.*)\" on measurement \"(?<m>.*)\" is type (?<input>\\w+), already exists as type (?<existing>\\w+)")]
    private static partial Regex FieldTypeConflictPattern();

    [GeneratedRegex("invalid field name: input field \"(?<field>.*)\" on measurement \"(?<m>.*)\" is invalid")]
    private static partial Regex InvalidFieldPattern();

    [GeneratedRegex("invalid tag key: input tag \"(?<tag>.*)\" on measurement \"(?<m>.*)\" is invalid")]
    private static partial Regex InvalidTagPattern();
}
