using System.Globalization;
using System.Text.RegularExpressions;
using Datacake.Streams.IntegrationTests.Host.Hosting;

namespace Datacake.Streams.IntegrationTests.EndToEnd;

/// <summary>What a node shows of refused registry records: its metric, and one log line per refused offset.</summary>
internal static partial class ForgeryEvidence
{
    /// <summary>Until the node's <c>/metrics</c> (read with its operator token) counts at least <paramref name="atLeast"/> refused records.</summary>
    public static async Task AssertRefusedAsync(HostProcess node, long atLeast)
    {
        await Until.Async(
            async () =>
            {
                using var response = await node.GetAsOperatorAsync("/metrics");
                var text = await response.Content.ReadAsStringAsync();
                var match = Refused().Match(text);
                var lines = string.Join('\n', text.Split('\n').Where(l => l.StartsWith("datacake_streams_", StringComparison.Ordinal)));
                return (Count: match.Success ? (long)double.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture) : 0, Lines: $"{response.StatusCode}: {lines}");
            },
            refused => refused.Count >= atLeast,
            $"datacake_streams_registry_records_refused{{reason=\"unauthenticated\"}} reaching {atLeast}");
    }

    /// <summary>"Refused the dcs.registry record at partition P offset O" lines so far.</summary>
    public static int RefusalLines(string output) => Line().Count(output);

    [GeneratedRegex(@"^datacake_streams_registry_records_refused(?:_total)?\{[^}]*reason=""unauthenticated""[^}]*\} (?<n>[0-9.e+]+)", RegexOptions.Multiline)]
    private static partial Regex Refused();

    [GeneratedRegex(@"Refused the dcs\.registry record at partition [0-9]+ offset [0-9]+")]
    private static partial Regex Line();
}
