using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Datacake.Streams.IntegrationTests.Services;

namespace Datacake.Streams.IntegrationTests.EndToEnd;

/// <summary>One point as influxd returns it: time in Unix ns, and every column (tags and fields) by name.</summary>
public sealed record InfluxRow(long TimeNs, IReadOnlyDictionary<string, JsonElement> Columns)
{
    public double Number(string column) => Columns[column].GetDouble();

    public override string ToString() => $"{TimeNs}: {string.Join(", ", Columns.Select(c => $"{c.Key}={c.Value}"))}";
}

/// <summary>Asks the shared influxd directly (InfluxQL over HTTP, admin credentials), not through the product's API.</summary>
public sealed class InfluxProbe(string database)
{
    public string Database => database;

    /// <summary>Every point of <paramref name="device"/> in its measurement of <paramref name="retentionPolicy"/>, oldest first.</summary>
    public async Task<IReadOnlyList<InfluxRow>> PointsAsync(string device, string retentionPolicy = "raw")
    {
        var answer = await QueryAsync($"SELECT * FROM \"{retentionPolicy}\".\"{device}\" WHERE \"device\" = '{device}'");
        var rows = new List<InfluxRow>();
        foreach (var series in Series(answer))
        {
            var columns = series.GetProperty("columns").EnumerateArray().Select(c => c.GetString()!).ToArray();
            foreach (var value in series.GetProperty("values").EnumerateArray())
            {
                var cells = value.EnumerateArray().ToArray();
                var byName = new Dictionary<string, JsonElement>();
                for (var i = 1; i < columns.Length; i++)
                {
                    if (cells[i].ValueKind != JsonValueKind.Null)
                    {
                        byName[columns[i]] = cells[i].Clone();
                    }
                }

                rows.Add(new InfluxRow(cells[0].GetInt64(), byName));
            }
        }

        return rows;
    }

    /// <summary>Polls until <paramref name="device"/> has at least <paramref name="count"/> points.</summary>
    public Task<IReadOnlyList<InfluxRow>> WaitForPointsAsync(string device, int count, string retentionPolicy = "raw") =>
        WaitForPointsAsync(device, count, retentionPolicy, []);

    /// <summary>
    /// Polls until <paramref name="device"/> has at least <paramref name="count"/> points, each with every one of
    /// <paramref name="fields"/>: influxd may answer a read that overlaps the first write into a new measurement with
    /// some of its fields only (each field is a series of its own; seen once in CI).
    /// </summary>
    public Task<IReadOnlyList<InfluxRow>> WaitForPointsWithAsync(string device, int count, params string[] fields) =>
        WaitForPointsAsync(device, count, "raw", fields);

    /// <remarks>
    /// Done only when two reads in a row answer the same first <paramref name="count"/> rows: a read that overlaps a write may show its points with some of
    /// their fields only (each field is a series of its own), and the count alone does not tell (seen in CI: a point
    /// of a write of several without its boolean field, the other points of the batch already there).
    /// </remarks>
    private Task<IReadOnlyList<InfluxRow>> WaitForPointsAsync(string device, int count, string retentionPolicy, string[] fields)
    {
        string? previous = null;
        return Until.Async(
            () => PointsAsync(device, retentionPolicy),
            r =>
            {
                // The first rows only: a test may keep writing later points meanwhile.
                string answer = string.Join('\n', r.Take(count));
                bool settled = answer == previous;
                previous = answer;
                return settled && r.Count >= count && r.All(p => fields.All(f => p.Columns.TryGetValue(f, out var v) && v.ValueKind != System.Text.Json.JsonValueKind.Null));
            },
            $"{count} point(s) of {device} in {retentionPolicy}" + (fields.Length == 0 ? "" : $" with {string.Join(", ", fields)}") + ", the same in two reads in a row");
    }

    /// <summary>The tag keys influxd holds for <paramref name="measurement"/> (across retention policies: the index is per database).</summary>
    public async Task<IReadOnlyList<string>> TagKeysAsync(string measurement)
    {
        var answer = await QueryAsync($"SHOW TAG KEYS FROM \"{measurement}\"");
        return [.. Series(answer).SelectMany(s => s.GetProperty("values").EnumerateArray()).Select(v => v[0].GetString()!)];
    }

    /// <summary>The field keys of <c>rp.measurement</c>.</summary>
    public async Task<IReadOnlyList<string>> FieldKeysAsync(string measurement, string retentionPolicy = "raw")
    {
        var answer = await QueryAsync($"SHOW FIELD KEYS FROM \"{retentionPolicy}\".\"{measurement}\"");
        return [.. Series(answer).SelectMany(s => s.GetProperty("values").EnumerateArray()).Select(v => v[0].GetString()!)];
    }

    /// <summary>The measurements of the database (every retention policy).</summary>
    public async Task<IReadOnlyList<string>> MeasurementsAsync()
    {
        var answer = await QueryAsync("SHOW MEASUREMENTS");
        return [.. Series(answer).SelectMany(s => s.GetProperty("values").EnumerateArray()).Select(v => v[0].GetString()!)];
    }

    /// <summary>Writes line protocol (ns) into <paramref name="retentionPolicy"/>, as a node of an older version would have.</summary>
    public async Task WriteAsync(string retentionPolicy, string lines)
    {
        using var http = Client();
        using var response = await http.PostAsync($"/write?db={Uri.EscapeDataString(database)}&rp={Uri.EscapeDataString(retentionPolicy)}&precision=ns", new StringContent(lines));
        Assert.True(response.IsSuccessStatusCode, $"write: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public async Task DropDatabaseAsync()
    {
        using var http = Client();
        using var response = await http.PostAsync($"/query?q={Uri.EscapeDataString($"DROP DATABASE \"{database}\"")}", null);
        response.EnsureSuccessStatusCode();
    }

    private async Task<JsonElement> QueryAsync(string statement)
    {
        using var http = Client();
        var body = await http.GetStringAsync($"/query?db={Uri.EscapeDataString(database)}&epoch=ns&q={Uri.EscapeDataString(statement)}");
        var result = JsonDocument.Parse(body).RootElement.GetProperty("results")[0].Clone();

        // InfluxQL statement errors come back as 200 with an error member: a typo must not read as "no points".
        Assert.False(result.TryGetProperty("error", out var error), $"{statement}: {error}");
        return result;
    }

    private static IEnumerable<JsonElement> Series(JsonElement result) =>
        result.TryGetProperty("series", out var series) ? series.EnumerateArray() : [];

    private static HttpClient Client()
    {
        var endpoints = ServiceEndpoints.Current;
        var http = new HttpClient { BaseAddress = new Uri(endpoints.InfluxUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{endpoints.InfluxUser}:{endpoints.InfluxPassword}")));
        return http;
    }
}
