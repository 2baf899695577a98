using System.Globalization;
using System.Text;
using Datacake.Streams.Backups;
using Datacake.Streams.Ids;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.Querying;
using Datacake.Streams.IntegrationTests.Services;

namespace Datacake.Streams.IntegrationTests.Backups;

/// <summary>
/// Issue 16: a database written by the layout before (every device in measurement <c>values</c>, metadata in
/// <c>meta</c>) moves to one measurement per device in every retention policy, counts equal per device and field,
/// on the real influxd.
/// </summary>
public sealed class StorageLayoutMigrationTests : IAsyncLifetime
{
    private readonly string _database = "test_layout_" + Guid.NewGuid().ToString("N")[..12];
    private InfluxClient _influx = null!;

    public async Task InitializeAsync()
    {
        var endpoints = ServiceEndpoints.Current;
        _influx = new InfluxClient(new InfluxOptions
        {
            Url = new Uri(endpoints.InfluxUrl),
            Database = _database,
            User = endpoints.InfluxUser,
            Password = endpoints.InfluxPassword,
            MaxRetries = 1,
        });
        try
        {
            await _influx.PingAsync();
        }
        catch (InfluxException ex)
        {
            throw new InvalidOperationException($"influxd at {endpoints.InfluxUrl} is not answering ({ex.Message}): {ServiceEndpoints.StartHint}", ex);
        }

        var db = InfluxQl.QuoteIdentifier(_database);
        await _influx.ExecuteAsync($"CREATE DATABASE {db} WITH DURATION 30d NAME raw");
        await _influx.ExecuteAsync($"CREATE RETENTION POLICY m1 ON {db} DURATION 365d REPLICATION 1");
        await _influx.ExecuteAsync($"CREATE RETENTION POLICY h1 ON {db} DURATION 1825d REPLICATION 1");
        await _influx.ExecuteAsync($"CREATE RETENTION POLICY meta ON {db} DURATION 14d REPLICATION 1");
    }

    public async Task DisposeAsync()
    {
        await _influx.ExecuteAsync($"DROP DATABASE {InfluxQl.QuoteIdentifier(_database)}");
        _influx.Dispose();
    }

    [Fact]
    public async Task Every_device_moves_to_its_own_measurement_with_equal_counts_and_the_legacy_is_dropped()
    {
        var devices = Enumerable.Range(0, 5).Select(_ => DeviceId.New().ToString()).ToArray();
        var now = DateTimeOffset.UtcNow;
        await WriteLegacyAsync(devices, now);
        var before = await CountsAsync("\"values\"", "\"meta\"");
        Assert.Equal(5 * 4, before.Keys.Count(k => k.StartsWith("raw|", StringComparison.Ordinal)));

        var migration = new StorageLayoutMigration(_influx);
        Assert.True(await migration.IsNeededAsync(CancellationToken.None));
        var result = await migration.RunAsync(CancellationToken.None);

        Assert.True(result.LegacyDropped, string.Join("; ", result.Shortfalls));
        Assert.Equal(5, result.Devices);
        Assert.Equal(before, await CountsAsync("/^dev_/"));
        Assert.DoesNotContain("values", await MeasurementsAsync());
        Assert.DoesNotContain("meta", await MeasurementsAsync());

        // Each device's measurement holds its own points only, its field types as written, its tag kept.
        foreach (var device in devices)
        {
            var keys = await _influx.QueryAsync($"SHOW FIELD KEYS FROM \"raw\".{InfluxQl.QuoteIdentifier(device)}");
            Assert.Equal(
                ["label:string", "on:boolean", "temperature:float", "text:string"],
                keys.Statements[0].Series.SelectMany(s => s.Values.Select((_, r) => s.GetString(r, "fieldKey") + ":" + s.GetString(r, "fieldType"))).Order(StringComparer.Ordinal).ToArray());
            var tags = await _influx.QueryAsync($"SHOW TAG VALUES FROM {InfluxQl.QuoteIdentifier(device)} WITH KEY = \"device\"");
            Assert.Equal([device], tags.Statements[0].Series.SelectMany(s => s.Values.Select((_, r) => s.GetString(r, "value")!)).ToArray());
        }

        // Run again: nothing left to do, nothing changed.
        Assert.False(await migration.IsNeededAsync(CancellationToken.None));
        Assert.Equal(LayoutMigrationResult.NothingToDo, await migration.RunAsync(CancellationToken.None));
        Assert.Equal(before, await CountsAsync("/^dev_/"));
    }

    [Fact]
    public async Task What_cannot_be_moved_keeps_the_legacy_measurement_and_is_named()
    {
        var devices = new[] { DeviceId.New().ToString() };
        await WriteLegacyAsync(devices, DateTimeOffset.UtcNow);
        await _influx.WriteAsync(Encoding.UTF8.GetBytes($"values,device=not-a-device temperature=1 {Ns(DateTimeOffset.UtcNow.AddMinutes(-1))}\n"), "raw");

        var result = await new StorageLayoutMigration(_influx).RunAsync(CancellationToken.None);

        Assert.False(result.LegacyDropped);
        Assert.Contains(result.Shortfalls, s => s.Contains("not-a-device", StringComparison.Ordinal));
        Assert.Contains("values", await MeasurementsAsync());

        // The device itself was moved all the same.
        Assert.Equal(10, (await CountsAsync("/^dev_/"))[$"raw|{devices[0]}|temperature"]);
    }

    private static long Ns(DateTimeOffset time) => (time - DateTimeOffset.UnixEpoch).Ticks * 100;

    /// <summary>The layout before: raw values (float, string, bool; 10 points over two days, so two shards), m1 and h1 rollups, meta.</summary>
    private async Task WriteLegacyAsync(IReadOnlyList<string> devices, DateTimeOffset now)
    {
        var raw = new StringBuilder();
        var m1 = new StringBuilder();
        var h1 = new StringBuilder();
        var meta = new StringBuilder();
        for (var d = 0; d < devices.Count; d++)
        {
            for (var i = 0; i < 10; i++)
            {
                var t = Ns(now.AddHours(-30 + (i * 3)).AddSeconds(d));
                raw.Append(CultureInfo.InvariantCulture, $"values,device={devices[d]} temperature={20 + i}.5,on={(i % 2 == 0 ? "true" : "false")},label=\"r{i}\"");
                raw.Append(i % 3 == 0 ? ",text=\"t\"" : string.Empty).Append(CultureInfo.InvariantCulture, $" {t}\n");
                m1.Append(CultureInfo.InvariantCulture, $"values,device={devices[d]} mean_temperature={20 + i}.5,count_temperature=1i {t}\n");
                meta.Append(CultureInfo.InvariantCulture, $"meta,device={devices[d]} rssi=-{90 + i},f_cnt={i}i {t}\n");
            }

            h1.Append(CultureInfo.InvariantCulture, $"values,device={devices[d]} mean_temperature=25,count_temperature=10i {Ns(now.AddHours(-2))}\n");
        }

        await _influx.WriteAsync(Encoding.UTF8.GetBytes(raw.ToString()), "raw");
        await _influx.WriteAsync(Encoding.UTF8.GetBytes(m1.ToString()), "m1");
        await _influx.WriteAsync(Encoding.UTF8.GetBytes(h1.ToString()), "h1");
        await _influx.WriteAsync(Encoding.UTF8.GetBytes(meta.ToString()), "meta");
    }

    /// <summary>Points per "policy|device|field" over the given measurements (names or a regex) of every policy.</summary>
    private async Task<SortedDictionary<string, long>> CountsAsync(params string[] measurements)
    {
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var policy in new[] { "raw", "m1", "h1", "meta" })
        {
            foreach (var measurement in measurements)
            {
                var result = await _influx.QueryAsync($"SELECT count(*) FROM {InfluxQl.QuoteIdentifier(policy)}.{measurement} GROUP BY \"device\"");
                foreach (var series in result.Statements[0].Series)
                {
                    foreach (var column in series.Columns.Where(c => c.StartsWith("count_", StringComparison.Ordinal)))
                    {
                        if (!series.IsNull(0, column) && series.GetInt64(0, column) > 0)
                        {
                            var key = $"{policy}|{series.Tags["device"]}|{column["count_".Length..]}";
                            counts[key] = counts.GetValueOrDefault(key) + series.GetInt64(0, column);
                        }
                    }
                }
            }
        }

        return counts;
    }

    private async Task<List<string>> MeasurementsAsync()
    {
        var result = await _influx.QueryAsync("SHOW MEASUREMENTS");
        return [.. result.Statements[0].Series.SelectMany(s => s.Values.Select((_, r) => s.GetString(r, "name")!))];
    }
}
