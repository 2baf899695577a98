using System.Globalization;
using System.Net;
using Datacake.Streams.Access;
using Datacake.Streams.Api.Retention;
using Datacake.Streams.Ids;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.LineProtocol;
using Datacake.Streams.Influx.Querying;
using Datacake.Streams.Influx.Writing;
using Datacake.Streams.IntegrationTests.Api.Access;
using Datacake.Streams.IntegrationTests.Host.Hosting;
using Datacake.Streams.IntegrationTests.Services;

namespace Datacake.Streams.IntegrationTests.Api.Queries;

/// <summary>
/// The real executable (all roles on the embedded log, real identity on SQLite) over a database of its own, with the retention tiers
/// provisioned and their start-up backfills finished, so that nothing writes into the database behind a test's back.
/// </summary>
public sealed class ExportTestBed : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    public string OperatorToken { get; } = AccessToken.New().Secret;

    public string Database { get; } = "exp_" + Guid.NewGuid().ToString("N")[..12];

    public HostProcess Host { get; private set; } = null!;

    public ApiClient Api { get; private set; } = null!;

    public InfluxClient Influx { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        ServiceEndpoints endpoints = ServiceEndpoints.Current;
        Influx = new InfluxClient(new InfluxOptions
        {
            Url = new Uri(endpoints.InfluxUrl),
            Database = Database,
            User = endpoints.InfluxUser,
            Password = endpoints.InfluxPassword,
            RequestTimeout = TimeSpan.FromSeconds(60),
        });
        try
        {
            await Influx.PingAsync();
        }
        catch (InfluxException ex)
        {
            throw new InvalidOperationException($"influxd is not answering ({ex.Message}): {ServiceEndpoints.StartHint}", ex);
        }

        Host = await HostProcess.StartAsync(new Dictionary<string, string>
        {
            ["DCS_OPERATOR_TOKEN"] = OperatorToken,
            ["DCS_INFLUX_DATABASE"] = Database,

            // A scheduled backup would read the database (and load influxd) in the middle of a measured export.
            ["Backup__Enabled"] = "false",
        });
        Api = new ApiClient(Host.Http);

        // Tiers are added on first start, and the refresher rolls each up from all raw holds: wait until both caught up.
        DateTime until = DateTime.UtcNow + Deadline;
        while (!(Host.Output.Contains("Rollup m1 caught up", StringComparison.Ordinal) && Host.Output.Contains("Rollup h1 caught up", StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < until, $"the host did not finish provisioning the tiers:\n{Host.Output}");
            await Task.Delay(50);
        }
    }

    public async Task DisposeAsync()
    {
        if (Host is not null)
        {
            await Host.DisposeAsync();
            Directory.Delete(Host.DataDirectory, recursive: true);
        }

        await Influx.ExecuteAsync($"DROP DATABASE {InfluxQl.QuoteIdentifier(Database)}", Database);
        Influx.Dispose();
    }

    public async Task<(string Token, string Workspace)> NewUserAsync(string label)
    {
        string token = (await Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", OperatorToken, new { email = $"{label}-{Guid.NewGuid():N}@example.test" })).Str("token");
        string workspace = (await Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", token)).Str("homeWorkspaceId");
        return (token, workspace);
    }

    public async Task<string> NewWorkspaceAsync(string token, string name, string parentId) =>
        (await Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/workspaces", token, new { name, parentId })).Str("id");

    public async Task<DeviceId> NewDeviceAsync(string token, string workspace, string name) =>
        DeviceId.Parse((await Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/devices", token, new { name })).Str("id"));

    public async Task DeleteDeviceAsync(string token, DeviceId device)
    {
        string confirm = (await Api.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Delete, $"/v1/devices/{device}", token)).Str("confirm");
        await Api.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/v1/devices/{device}", token, new { confirm });
    }

    /// <summary>
    /// The fast path: <paramref name="perDevice"/> points per device straight into raw <c>values</c>, 10,000 per write on
    /// two connections. Fields: <c>temperature</c> (float) and <c>humidity</c> (integer) on every point, <c>door</c> (boolean)
    /// on every tenth, one second apart from <paramref name="start"/>.
    /// </summary>
    public async Task WriteRawAsync(IReadOnlyList<DeviceId> devices, int perDevice, DateTimeOffset start)
    {
        long startNs = (start.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
        const int PerBatch = 10_000;
        long total = (long)devices.Count * perDevice;
        long batches = (total + PerBatch - 1) / PerBatch;
        await Parallel.ForAsync(0L, batches, new ParallelOptions { MaxDegreeOfParallelism = 2 }, async (b, ct) =>
        {
            using var batch = new InfluxPointBatch(1024 * 1024);
            for (long n = b * PerBatch; n < Math.Min(total, (b + 1) * PerBatch); n++)
            {
                int device = (int)(n / perDevice);
                int i = (int)(n % perDevice);
                var point = batch.BeginPoint();
                point.Measurement(devices[device].ToString());
                point.Tag("device", devices[device].ToString());
                point.Field("temperature", Math.Round(15 + (i % 1000 * 0.013) + device, 3));
                point.Field("humidity", (long)(40 + (i % 37)));
                if (i % 10 == 0)
                {
                    point.Field("door", i % 20 == 0);
                }

                point.Timestamp(startNs + (i * 1_000_000_000L));
            }

            await Influx.WriteAsync(batch.Written, RetentionPolicyNames.Raw, ct);
        });
    }

    /// <summary>Radio metadata points (<c>meta</c> policy and measurement), <c>rssi</c> as a float and <c>f_cnt</c> as an integer.</summary>
    public async Task WriteMetaAsync(DeviceId device, int count, DateTimeOffset start)
    {
        using var batch = new InfluxPointBatch();
        long startNs = (start.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;
        for (int i = 0; i < count; i++)
        {
            var point = batch.BeginPoint();
            point.Measurement(device.ToString());
            point.Tag("device", device.ToString());
            point.Field("rssi", -100.5 + (i % 40));
            point.Field("f_cnt", (long)i);
            point.Timestamp(startNs + (i * 60_000_000_000L));
        }

        await Influx.WriteAsync(batch.Written, RetentionPolicyNames.Meta);
    }

    /// <summary>Points per "policy.kind.device.field" in <paramref name="database"/>, for the four tiers an export reads (device measurements).</summary>
    public async Task<SortedDictionary<string, long>> CountsAsync(string database)
    {
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach ((string policy, string measurement) in new[] { ("raw", "values"), ("meta", "meta"), ("m1", "values"), ("h1", "values") })
        {
            InfluxQueryResult result;
            try
            {
                result = await Influx.QueryAsync($"SELECT count(*) FROM {InfluxQl.QuoteIdentifier(database)}.{InfluxQl.QuoteIdentifier(policy)}./^dev_/ GROUP BY \"device\"", database);
            }
            catch (InfluxQueryException ex) when (ex.Message.Contains("retention policy not found", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (InfluxSeries series in result.Statements[0].Series)
            {
                for (int c = 0; c < series.Columns.Count; c++)
                {
                    string column = series.Columns[c];
                    if (column.StartsWith("count_", StringComparison.Ordinal) && !series.IsNull(0, column) && series.GetInt64(0, column) > 0)
                    {
                        counts[string.Create(CultureInfo.InvariantCulture, $"{policy}.{measurement}.{series.Tags["device"]}.{column["count_".Length..]}")] = series.GetInt64(0, column);
                    }
                }
            }
        }

        return counts;
    }
}
