using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Datacake.Streams.IntegrationTests.Host.Hosting;

namespace Datacake.Streams.IntegrationTests.Resilience;

/// <summary>
/// What a node's <c>/readyz</c> says about its processing pipeline: the partitions it owns and the records it holds
/// in flight (read from the log, not yet written and committed). Read whatever the overall status is: while
/// InfluxDB is down /readyz answers 503, and the processing check still reports.
/// </summary>
internal sealed partial record ProcessingReadiness(IReadOnlyList<int> Partitions, long InFlight, string Description)
{
    /// <summary>The processing check's report, or null while the node does not answer or runs no pipeline yet.</summary>
    public static async Task<ProcessingReadiness?> ReadAsync(HostProcess node)
    {
        string body;
        try
        {
            // The details are the operator's only: the node makes its operator.token before it listens.
            using var response = await node.GetAsOperatorAsync("/readyz");
            body = await response.Content.ReadAsStringAsync();

            // Only the operator's JSON report counts: a node that is still starting (or a stranger that took over its
            // port between a kill and the restart) may answer something else, and the caller's deadline decides.
            if (response.Content.Headers.ContentType?.MediaType != "application/json" || body.Length == 0)
            {
                return null;
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or FileNotFoundException)
        {
            return null;
        }

        using var json = JsonDocument.Parse(body);
        if (!json.RootElement.TryGetProperty("checks", out var checks)
            || !checks.TryGetProperty("processing", out var processing)
            || !processing.TryGetProperty("description", out var description)
            || description.GetString() is not { } text)
        {
            return null;
        }

        var match = Report().Match(text);
        if (!match.Success)
        {
            return null;
        }

        var partitions = match.Groups["partitions"].Value
            .Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => int.Parse(p, CultureInfo.InvariantCulture))
            .ToArray();
        return new ProcessingReadiness(partitions, long.Parse(match.Groups["inflight"].Value, CultureInfo.InvariantCulture), text);
    }

    // ProcessingHealthCheck: "partitions [0,1], committed 0:12, 1:40; records written ..., in flight 5; restarts 0".
    [GeneratedRegex(@"^partitions \[(?<partitions>[0-9,]*)\], committed .*, in flight (?<inflight>[0-9]+); restarts [0-9]+$")]
    private static partial Regex Report();
}
