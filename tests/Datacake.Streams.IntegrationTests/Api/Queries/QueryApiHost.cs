using System.Net.Http.Headers;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.InfluxApi;
using Datacake.Streams.Api.Export;
using Datacake.Streams.Api.Queries;
using Datacake.Streams.Api.Retention;
using Datacake.Streams.Ids;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.LineProtocol;
using Datacake.Streams.Influx.Querying;
using Datacake.Streams.Influx.Writing;
using Datacake.Streams.IntegrationTests.Services;
using Datacake.Streams.Processing.Sink;
using Datacake.Streams.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Datacake.Streams.IntegrationTests.Api.Queries;

/// <summary>
/// The query and retention endpoints on real Kestrel (127.0.0.1, free port) against the real influxd,
/// in a database of their own that is dropped on dispose. Identity is replaced by <see cref="TestReadAccess"/>:
/// fixed bearer strings mapped to device scopes.
/// </summary>
public sealed class QueryApiHost : IAsyncDisposable
{
    public const string OperatorToken = "operator-token";

    private readonly WebApplication _app;

    private QueryApiHost(WebApplication app, string database, InfluxClient influx, TestReadAccess access)
    {
        _app = app;
        Database = database;
        Influx = influx;
        Access = access;
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);
    }

    public string Database { get; }

    public InfluxClient Influx { get; }

    public TestReadAccess Access { get; }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>The rollup refresher: tests drive refreshes through it instead of waiting for its schedule.</summary>
    public RollupRefresher Refresher => _app.Services.GetRequiredService<RollupRefresher>();

    /// <summary>One refresh of every tier and of the marks, now.</summary>
    public Task<RollupRefresh> RefreshAsync() => Refresher.RefreshAsync(force: true, CancellationToken.None);

    /// <param name="settings">Configuration overrides, e.g. <c>Retention:M1:RefreshEvery=00:00:01</c>.</param>
    /// <param name="prepare">Runs against the fresh database before the host (and its provisioning) starts.</param>
    /// <param name="clock">The host's time (default the system's): a FakeTimeProvider lets a test move the refresher's "now".</param>
    /// <param name="influxHandler">What the host's InfluxDB client sends through (default a plain socket handler): a test may hold or count requests.</param>
    public static async Task<QueryApiHost> StartAsync(
        IDictionary<string, string?>? settings = null, Func<InfluxClient, Task>? prepare = null, TimeProvider? clock = null, HttpMessageHandler? influxHandler = null)
    {
        ServiceEndpoints endpoints = ServiceEndpoints.Current;
        string database = $"test_{Guid.NewGuid():N}";
        var options = new InfluxOptions
        {
            Url = new Uri(endpoints.InfluxUrl),
            Database = database,
            User = endpoints.InfluxUser,
            Password = endpoints.InfluxPassword,
            MaxRetries = 1,
            RetryBaseDelay = TimeSpan.FromMilliseconds(10),
            RetryMaxDelay = TimeSpan.FromMilliseconds(50),
        };
        var influx = influxHandler is null
            ? new InfluxClient(options)
            : new InfluxClient(new HttpClient(influxHandler) { Timeout = Timeout.InfiniteTimeSpan }, options);
        try
        {
            await influx.PingAsync();
        }
        catch (InfluxException ex)
        {
            throw new InvalidOperationException($"influxd at {options.Url} is not answering ({ex.Message}): {ServiceEndpoints.StartHint}", ex);
        }

        if (prepare is not null)
        {
            await prepare(influx);
        }

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        builder.Services.AddSingleton(clock ?? TimeProvider.System);
        builder.Services.AddSingleton(influx);
        var access = new TestReadAccess();
        builder.Services.AddSingleton<IDeviceReadAccess>(access);
        builder.Services.AddSingleton<IOperatorCheck>(new TestOperatorCheck());
        builder.Services.AddProblemDetails();
        builder.Services.AddRetentionTiers();
        builder.Services.AddQueryApi();
        builder.Services.AddInfluxApi();
        builder.Services.AddWorkspaceExport();
        WebApplication app = builder.Build();
        app.MapQueryApi();
        app.MapInfluxApi();
        app.MapExportApi();
        app.MapRetentionApi();
        await app.StartAsync();
        var host = new QueryApiHost(app, database, influx, access);
        await app.Services.GetRequiredService<RetentionService>().Provisioned.WaitAsync(TimeSpan.FromSeconds(30));
        return host;
    }

    public HttpClient Client(string? token)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    /// <summary>Writes points of <c>values</c> to a tier, in the DATA-MODEL shape (device tag, float fields).</summary>
    public async Task WriteAsync(string policy, IEnumerable<(DeviceId Device, DateTimeOffset Time, (string Field, double Value)[] Fields)> points)
    {
        using var batch = new InfluxPointBatch();
        foreach ((DeviceId device, DateTimeOffset time, (string Field, double Value)[] fields) in points)
        {
            var p = batch.BeginPoint();
            p.Measurement(device.ToString());
            p.Tag("device", device.ToString());
            foreach ((string field, double value) in fields)
            {
                p.Field(field, value);
            }

            p.Timestamp((time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100);
        }

        await Influx.WriteAsync(batch.Written, policy);
    }

    /// <summary>
    /// Writes raw points as processing does: a device whose points are older than <see cref="RollupMarks.MarkAfter"/>
    /// gets its rollup mark (<see cref="RollupMarker.Append"/>) in the same request, dated by the host's clock (as a
    /// processing node's clock dates it: a refresh takes the marks at least <see cref="RollupMarks.ConsumeAfter"/> old
    /// by that clock).
    /// </summary>
    public async Task WriteAsProcessingAsync(IReadOnlyList<(DeviceId Device, DateTimeOffset Time, (string Field, double Value)[] Fields)> points)
    {
        using var batch = new InfluxPointBatch();
        foreach ((DeviceId device, DateTimeOffset time, (string Field, double Value)[] fields) in points)
        {
            var p = batch.BeginPoint();
            p.Measurement(device.ToString());
            p.Tag("device", device.ToString());
            foreach ((string field, double value) in fields)
            {
                p.Field(field, value);
            }

            p.Timestamp(UnixNs(time));
        }

        DateTimeOffset now = _app.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        // As processing marks them: one mark per device and UTC day of its late points.
        foreach (IGrouping<(DeviceId Device, long Day), DateTimeOffset> late in points.Where(p => p.Time < now - RollupMarks.MarkAfter).GroupBy(p => (p.Device, RollupMarks.Day(UnixNs(p.Time))), p => p.Time))
        {
            RollupMarker.Append(batch, late.Key.Device, UnixNs(late.Min()), UnixNs(late.Max()), UnixNs(now) + Interlocked.Increment(ref s_markSequence));
        }

        await Influx.WriteAsync(batch.Written, "raw");
    }

    private static long s_markSequence;

    private static long UnixNs(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100;

    public Task<InfluxQueryResult> QueryAsync(string influxQl) => Influx.QueryAsync(influxQl, Database);

    /// <summary>How many rollup marks the raw policy holds (not yet deleted by the refresher).</summary>
    public async Task<long> MarksLeftAsync()
    {
        InfluxQueryResult result = await QueryAsync($"SELECT count({InfluxQl.QuoteIdentifier(RollupMarks.FromField)}) FROM \"raw\".{InfluxQl.QuoteIdentifier(RollupMarks.Measurement)}");
        return result.Statements[0].Series is [var series, ..] ? series.GetInt64(0, "count") : 0;
    }

    /// <summary>Polls until <paramref name="condition"/> holds; fails with <paramref name="what"/> after the deadline.</summary>
    public static Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan deadline, string what) =>
        WaitUntilAsync(condition, deadline, () => what);

    /// <summary>As above, with the state at the deadline described by <paramref name="what"/> (evaluated on failure only).</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan deadline, Func<string> what)
    {
        DateTime until = DateTime.UtcNow + deadline;
        while (!await condition())
        {
            if (DateTime.UtcNow >= until)
            {
                Assert.Fail($"timed out after {deadline.TotalSeconds:0} s waiting for: {what()}");
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await Influx.ExecuteAsync($"DROP DATABASE {InfluxQl.QuoteIdentifier(Database)}", Database);
        Influx.Dispose();
    }
}

/// <summary>Identity's stand-in: bearer strings mapped to what they may read.</summary>
public sealed class TestReadAccess : IDeviceReadAccess
{
    private readonly Dictionary<string, ReadableDevice[]> _tokens = new(StringComparer.Ordinal);

    public void Grant(string token, params ReadableDevice[] devices) => _tokens[token] = devices;

    public ValueTask<DeviceReadScope> ResolveAsync(HttpContext context, CancellationToken cancellationToken)
    {
        string header = context.Request.Headers.Authorization.ToString();
        if (header == "Bearer " + QueryApiHost.OperatorToken)
        {
            return ValueTask.FromResult(new DeviceReadScope(ReadScopeStatus.Forbidden));
        }

        return ValueTask.FromResult(header.StartsWith("Bearer ", StringComparison.Ordinal) && _tokens.TryGetValue(header["Bearer ".Length..], out ReadableDevice[]? devices)
            ? new DeviceReadScope(ReadScopeStatus.Ok, devices)
            : new DeviceReadScope(ReadScopeStatus.Unauthenticated));
    }
}

public sealed class TestOperatorCheck : IOperatorCheck
{
    public OperatorVerdict Check(HttpContext context) => context.Request.Headers.Authorization.Count == 0
        ? new OperatorVerdict(OperatorStatus.NoCredential)
        : new OperatorVerdict(context.Request.Headers.Authorization.ToString() == "Bearer " + QueryApiHost.OperatorToken ? OperatorStatus.Operator : OperatorStatus.NotOperator);
}
