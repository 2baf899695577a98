using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.Querying;

namespace Datacake.Streams.IntegrationTests.Resilience;

/// <summary>
/// The numbered values a test sent, as InfluxDB holds them: field <c>v</c> of the device measurements in the
/// <c>raw</c> tier, where processing writes measurements (docs/DATA-MODEL.md).
/// </summary>
internal sealed class StoredValues(InfluxClient influx)
{
    private const string Source = "\"raw\"./^dev_/";

    /// <summary>SELECT count(v); 0 while the database or the measurement does not exist yet.</summary>
    public async Task<long> CountAsync()
    {
        try
        {
            var result = await influx.QueryAsync($"SELECT count(\"v\") FROM {Source}");
            return result.Statements.SelectMany(s => s.Series).Where(s => s.Values.Count > 0).Sum(s => s.GetInt64(0, "count"));
        }
        catch (InfluxQueryException e) when (e.Message.Contains("database not found", StringComparison.Ordinal)
            || e.Message.Contains("retention policy not found", StringComparison.Ordinal))
        {
            return 0;
        }
    }

    /// <summary>Every stored v, one entry per point (so a value stored twice appears twice).</summary>
    public async Task<List<long>> ReadAllAsync()
    {
        var values = new List<long>();
        var result = await influx.QueryAsync($"SELECT \"v\" FROM {Source}");
        foreach (var series in result.Statements.SelectMany(s => s.Series))
        {
            for (var row = 0; row < series.Values.Count; row++)
            {
                values.Add((long)series.GetDouble(row, "v"));
            }
        }

        return values;
    }

    /// <summary>
    /// Asserts that the stored values are exactly 0 .. <paramref name="expected"/>-1, each once; the message names
    /// the first few missing and doubled ones.
    /// </summary>
    public async Task AssertExactlyAsync(long expected, string context)
    {
        var count = await CountAsync();
        var values = await ReadAllAsync();
        var seen = new HashSet<long>();
        var doubled = values.Where(v => !seen.Add(v)).Distinct().Order().ToList();
        var missing = new List<long>();
        for (long v = 0; v < expected && missing.Count < 20; v++)
        {
            if (!seen.Contains(v))
            {
                missing.Add(v);
            }
        }

        var foreign = seen.Where(v => v < 0 || v >= expected).Take(20).ToList();
        Assert.True(
            count == expected && values.Count == expected && seen.Count == expected && doubled.Count == 0 && missing.Count == 0 && foreign.Count == 0,
            $"{context}: count(v) = {count}, {values.Count} points, {seen.Count} distinct values, expected {expected} each once; "
            + $"missing (first 20): [{string.Join(",", missing)}]; stored twice: [{string.Join(",", doubled.Take(20))}]; unexpected: [{string.Join(",", foreign)}]");
    }
}
