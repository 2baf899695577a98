using System.Text.Json;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Queries;
using Datacake.Streams.Influx.Client;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Datacake.Streams.Api.Grafana;

/// <summary>
/// Grafana's JSON (SimpleJson) datasource protocol under <c>/grafana</c>, authenticated by the workspace token the
/// datasource sends as <c>Authorization: Bearer</c>. Targets are <c>&lt;device id or name&gt;:&lt;field&gt;</c>.
/// </summary>
public static class GrafanaEndpoints
{
    public const string DeviceTag = "device";

    public static IEndpointRouteBuilder MapGrafanaApi(this IEndpointRouteBuilder endpoints)
    {
        RouteGroupBuilder group = endpoints.MapGroup("/grafana").WithTags("Grafana");
        group.MapGet("/", TestAsync);
        group.MapPost("/search", SearchAsync);
        group.MapPost("/query", QueryAsync);
        group.MapPost("/tag-keys", TagKeysAsync);
        group.MapPost("/tag-values", TagValuesAsync);
        return endpoints;
    }

    /// <summary>"Save &amp; test": 200 when the token is valid.</summary>
    internal static async Task<Results<Ok<string>, ProblemHttpResult>> TestAsync(HttpContext context, IDeviceReadAccess access, CancellationToken cancellationToken)
    {
        (_, ProblemHttpResult? problem) = await ReadScopeResults.ResolveAsync(access, context, cancellationToken);
        return problem is null ? TypedResults.Ok("Datacake.Streams") : problem;
    }

    internal static async Task<Results<Ok<IReadOnlyList<GrafanaMetric>>, ProblemHttpResult>> SearchAsync(
        HttpContext context, IDeviceReadAccess access, SeriesReader reader, CancellationToken cancellationToken)
    {
        (DeviceReadScope? scope, ProblemHttpResult? problem) = await ReadScopeResults.ResolveAsync(access, context, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        GrafanaSearchRequest? request = await ReadBodyAsync<GrafanaSearchRequest>(context, cancellationToken) ?? new GrafanaSearchRequest();
        List<ReadableDevice> devices = scope!.Devices.OrderBy(d => d.Name, StringComparer.Ordinal).ToList();
        try
        {
            IReadOnlyDictionary<string, IReadOnlyList<string>> fields = await reader.FieldsByDeviceAsync(devices, cancellationToken);
            string filter = request.Target ?? string.Empty;
            var metrics = new List<GrafanaMetric>();
            foreach (ReadableDevice device in devices)
            {
                foreach (string field in fields.GetValueOrDefault(device.Id.ToString()) ?? [])
                {
                    var metric = new GrafanaMetric($"{device.Name}:{field}", $"{device.Id}:{field}");
                    if (metric.Text.Contains(filter, StringComparison.OrdinalIgnoreCase) || metric.Value.Contains(filter, StringComparison.OrdinalIgnoreCase))
                    {
                        metrics.Add(metric);
                    }
                }
            }

            return TypedResults.Ok<IReadOnlyList<GrafanaMetric>>(metrics);
        }
        catch (InfluxException ex)
        {
            return QueryEndpoints.StoreProblem(ex);
        }
    }

    internal static async Task<Results<Ok<IReadOnlyList<object>>, ProblemHttpResult>> QueryAsync(
        HttpContext context, IDeviceReadAccess access, SeriesReader reader, CancellationToken cancellationToken)
    {
        (DeviceReadScope? scope, ProblemHttpResult? problem) = await ReadScopeResults.ResolveAsync(access, context, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        GrafanaQueryRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<GrafanaQueryRequest>(context.Request.Body, JsonSerializerOptions.Web, cancellationToken);
        }
        catch (JsonException ex)
        {
            return QueryEndpoints.InvalidQuery(new Dictionary<string, string[]> { ["body"] = [ex.Message] });
        }

        if (request?.Range is not { From: not null, To: not null } range
            || !QueryTime.TryParse(range.From, out DateTimeOffset from) || !QueryTime.TryParse(range.To, out DateTimeOffset to) || from >= to)
        {
            return QueryEndpoints.InvalidQuery(new Dictionary<string, string[]> { ["range"] = ["range.from and range.to are RFC 3339 times, from before to"] });
        }

        TimeSpan every = GrafanaInterval.Every(to - from, request.IntervalMs, request.MaxDataPoints, reader.Limits.MaxPointsPerSeries);
        HashSet<string>? onlyDevices = request.AdhocFilters?
            .Where(f => f.Key == DeviceTag && f.Operator == "=" && f.Value is not null)
            .Select(f => f.Value!)
            .ToHashSet(StringComparer.Ordinal);
        var answer = new List<object>();
        foreach (GrafanaTarget target in request.Targets ?? [])
        {
            if (target.Hide == true || string.IsNullOrEmpty(target.Target))
            {
                continue;
            }

            if (!TryResolve(scope!, target.Target, out ReadableDevice? device, out string? field))
            {
                // The same words for a device that does not exist and one of another workspace.
                return QueryEndpoints.InvalidQuery(new Dictionary<string, string[]> { ["targets"] = [$"'{Shorten(target.Target)}' is not a readable <device>:<field>"] });
            }

            if (onlyDevices is { Count: > 0 } && !onlyDevices.Contains(device!.Name) && !onlyDevices.Contains(device.Id.ToString()))
            {
                continue;
            }

            string? agg = target.Data is { ValueKind: JsonValueKind.Object } data && data.TryGetProperty("agg", out JsonElement a) && a.ValueKind == JsonValueKind.String ? a.GetString() : null;
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            SeriesRequest? series = new SeriesParameters([field!], from.ToString("O"), to.ToString("O"), Influx.Querying.InfluxDuration.Format(every), agg ?? "mean", null)
                .Validate([device!], reader.Limits, reader.Now, errors);
            if (series is null)
            {
                return QueryEndpoints.InvalidQuery(errors);
            }

            Results<Ok<SeriesAnswer>, ProblemHttpResult> result = await QueryEndpoints.RunAsync(reader, series, cancellationToken);
            if (result.Result is not Ok<SeriesAnswer> { Value: { } read })
            {
                return (ProblemHttpResult)result.Result;
            }

            answer.Add(target.Type == "table" ? Table(read, field!, target.RefId) : TimeSeries(read, device!, field!, target.RefId));
        }

        return TypedResults.Ok<IReadOnlyList<object>>(answer);
    }

    internal static async Task<Results<Ok<IReadOnlyList<GrafanaTagKey>>, ProblemHttpResult>> TagKeysAsync(HttpContext context, IDeviceReadAccess access, CancellationToken cancellationToken)
    {
        (_, ProblemHttpResult? problem) = await ReadScopeResults.ResolveAsync(access, context, cancellationToken);
        return problem is null ? TypedResults.Ok<IReadOnlyList<GrafanaTagKey>>([new GrafanaTagKey("string", DeviceTag)]) : problem;
    }

    internal static async Task<Results<Ok<IReadOnlyList<GrafanaTagValue>>, ProblemHttpResult>> TagValuesAsync(HttpContext context, IDeviceReadAccess access, CancellationToken cancellationToken)
    {
        (DeviceReadScope? scope, ProblemHttpResult? problem) = await ReadScopeResults.ResolveAsync(access, context, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        GrafanaTagValuesRequest request = await ReadBodyAsync<GrafanaTagValuesRequest>(context, cancellationToken) ?? new GrafanaTagValuesRequest();
        IReadOnlyList<GrafanaTagValue> values = request.Key is null or DeviceTag
            ? scope!.Devices.Select(d => d.Name).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(n => new GrafanaTagValue(n)).ToList()
            : [];
        return TypedResults.Ok(values);
    }

    /// <summary><c>device:field</c>, split at the last colon (field names have none); the device by id, else by a unique name.</summary>
    internal static bool TryResolve(DeviceReadScope scope, string target, out ReadableDevice? device, out string? field)
    {
        device = null;
        field = null;
        int colon = target.LastIndexOf(':');
        if (colon <= 0 || !SeriesParameters.IsFieldName(target[(colon + 1)..]))
        {
            return false;
        }

        string name = target[..colon];
        field = target[(colon + 1)..];
        device = ReadScopeResults.Find(scope, name);
        if (device is null)
        {
            ReadableDevice[] named = scope.Devices.Where(d => d.Name == name).Take(2).ToArray();
            device = named.Length == 1 ? named[0] : null;
        }

        return device is not null;
    }

    private static GrafanaTimeSeries TimeSeries(SeriesAnswer answer, ReadableDevice device, string field, string? refId)
    {
        var points = new List<object?[]>();
        foreach (SeriesPoint point in answer.Series[0].Points)
        {
            points.Add([Value(point, field), point.Time.ToUnixTimeMilliseconds()]);
        }

        return new GrafanaTimeSeries($"{device.Name}:{field}", points, refId);
    }

    private static GrafanaTable Table(SeriesAnswer answer, string field, string? refId)
    {
        DeviceSeries series = answer.Series[0];
        var rows = series.Points.Select(p => new object?[] { p.Time.ToUnixTimeMilliseconds(), series.Device?.Name, Value(p, field) }).ToList();
        return new GrafanaTable("table", [new GrafanaColumn("Time", "time"), new GrafanaColumn("Device", "string"), new GrafanaColumn(field, "number")], rows, refId);
    }

    private static object? Value(SeriesPoint point, string field) =>
        point.Values.TryGetValue(field, out JsonElement value) && value.ValueKind != JsonValueKind.Null ? value : null;

    /// <summary>An optional JSON body: Grafana sends some requests without one.</summary>
    private static async Task<T?> ReadBodyAsync<T>(HttpContext context, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            return context.Request.ContentLength is 0 ? null : await JsonSerializer.DeserializeAsync<T>(context.Request.Body, JsonSerializerOptions.Web, cancellationToken);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
