using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Datacake.Streams.LoadGen.EndToEnd;

/// <summary>
/// The v1 HTTP API of the benchmark's influxd: writes for the direct peer, counts and stats for the check. With
/// <see cref="InfluxLogin"/> it speaks to an influxd with authentication on (the shared services of the soak).
/// </summary>
internal sealed class InfluxEndpoint : IDisposable
{
    // Every measurement of the default policy: one per device (our system) or one shared (the peers).
    private const string AllMeasurements = "/.*/";

    private readonly HttpClient _http;
    private readonly string _measurements;

    /// <param name="url">influxd's HTTP API.</param>
    /// <param name="connections">Connections kept to it.</param>
    /// <param name="login">User and password (HTTP basic), or none on an influxd without authentication.</param>
    /// <param name="measurements">
    /// The measurements counted and read back: all by default; a regex of the run's own devices when several loads
    /// share one database (the soak), so that each checks only its own points.
    /// </param>
    public InfluxEndpoint(Uri url, int connections = 4, InfluxLogin? login = null, string measurements = AllMeasurements)
    {
        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        _http = new HttpClient(handler) { BaseAddress = url, Timeout = TimeSpan.FromMinutes(2) };
        if (login is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
                "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{login.User}:{login.Password}")));
        }

        _measurements = measurements;
    }

    /// <summary>A regex of exactly these device measurements (device ids need no escaping in an InfluxQL regex: docs/DATA-MODEL.md).</summary>
    public static string MeasurementsOf(IEnumerable<string> devices) => $"/^({string.Join('|', devices)})$/";

    public async Task<HttpStatusCode> WriteAsync(string database, string lines, CancellationToken cancellationToken)
    {
        using var content = new StringContent(lines, Encoding.UTF8, "text/plain");
        using var response = await _http.PostAsync($"/write?db={Uri.EscapeDataString(database)}&precision=ms", content, cancellationToken);
        return response.StatusCode;
    }

    public async Task ExecuteAsync(string statement, CancellationToken cancellationToken)
    {
        using var content = new FormUrlEncodedContent([new("q", statement)]);
        using var response = await _http.PostAsync("/query", content, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode || body.Contains("\"error\"", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"influxd refused {statement}: {(int)response.StatusCode} {body}");
        }
    }

    /// <summary>
    /// Points of every measurement (the database's default policy) matching <paramref name="where"/>, summed; 0 while
    /// the database does not exist. Every measurement: our system writes one per device (docs/DATA-MODEL.md), the
    /// Node-RED peer and the direct writers one shared <c>values</c>.
    /// </summary>
    public async Task<long> CountAsync(string database, string where, CancellationToken cancellationToken)
    {
        var query = $"SELECT count(\"seq\") FROM {_measurements} WHERE {where}";
        var body = await _http.GetStringAsync($"/query?db={Uri.EscapeDataString(database)}&q={Uri.EscapeDataString(query)}", cancellationToken);
        using var json = JsonDocument.Parse(body);
        var result = json.RootElement.GetProperty("results")[0];
        if (!result.TryGetProperty("series", out var series))
        {
            return 0;
        }

        var total = 0L;
        foreach (var serie in series.EnumerateArray())
        {
            total += (long)serie.GetProperty("values")[0][1].GetDouble();
        }

        return total;
    }

    /// <summary>
    /// Points influxd's HTTP service has written since it started (<c>SHOW STATS</c>, module httpd, pointsWrittenOK):
    /// cheap to poll several times a second, unlike a count over millions of points. Counts every database.
    /// </summary>
    public async Task<long> PointsWrittenAsync(CancellationToken cancellationToken)
    {
        var body = await _http.GetStringAsync($"/query?q={Uri.EscapeDataString("SHOW STATS FOR 'httpd'")}", cancellationToken);
        using var json = JsonDocument.Parse(body);
        var total = 0L;
        foreach (var result in json.RootElement.GetProperty("results").EnumerateArray())
        {
            if (!result.TryGetProperty("series", out var series))
            {
                continue;
            }

            foreach (var serie in series.EnumerateArray())
            {
                var column = IndexOf(serie.GetProperty("columns"), "pointsWrittenOK");
                if (column >= 0)
                {
                    total += serie.GetProperty("values")[0][column].GetInt64();
                }
            }
        }

        return total;
    }

    /// <summary>Every numbered point of the database from <paramref name="first"/> on (all measurements, as <see cref="CountAsync"/>) as (seq, time ms), read in chunks.</summary>
    public async Task ReadNumberedAsync(string database, long first, Action<double, long> point, CancellationToken cancellationToken)
    {
        var query = $"SELECT \"seq\" FROM {_measurements} WHERE {Where(first, below: false)}";
        var path = $"/query?db={Uri.EscapeDataString(database)}&epoch=ms&chunked=true&chunk_size=20000&q={Uri.EscapeDataString(query)}";
        using var response = await _http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            using var json = JsonDocument.Parse(line);
            foreach (var result in json.RootElement.GetProperty("results").EnumerateArray())
            {
                if (result.TryGetProperty("error", out var error))
                {
                    throw new InvalidOperationException($"influxd: {error.GetString()}");
                }

                if (!result.TryGetProperty("series", out var series))
                {
                    continue;
                }

                foreach (var serie in series.EnumerateArray())
                {
                    foreach (var row in serie.GetProperty("values").EnumerateArray())
                    {
                        point(row[1].GetDouble(), row[0].GetInt64());
                    }
                }
            }
        }
    }

    public void Dispose() => _http.Dispose();

    private static int IndexOf(JsonElement columns, string name)
    {
        var i = 0;
        foreach (var column in columns.EnumerateArray())
        {
            if (string.Equals(column.GetString(), name, StringComparison.Ordinal))
            {
                return i;
            }

            i++;
        }

        return -1;
    }

    public static string Where(long seq, bool below) =>
        string.Create(CultureInfo.InvariantCulture, $"\"seq\" {(below ? "<" : ">=")} {seq}");
}
