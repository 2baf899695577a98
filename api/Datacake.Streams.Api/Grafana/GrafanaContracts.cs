using System.Text.Json;

namespace Datacake.Streams.Api.Grafana;

// The JSON / SimpleJson datasource protocol, as Grafana's community plugins send it.

/// <summary>POST /grafana/search: <c>{"target": "text typed so far"}</c>.</summary>
public sealed record GrafanaSearchRequest(string? Target = null);

/// <summary>A metric Grafana lists: shown text and the target string it sends back.</summary>
public sealed record GrafanaMetric(string Text, string Value);

/// <summary>POST /grafana/query.</summary>
public sealed record GrafanaQueryRequest(
    GrafanaRange? Range = null,
    long? IntervalMs = null,
    int? MaxDataPoints = null,
    IReadOnlyList<GrafanaTarget>? Targets = null,
    IReadOnlyList<GrafanaAdhocFilter>? AdhocFilters = null);

public sealed record GrafanaRange(string? From = null, string? To = null);

/// <summary>
/// One query row. <c>target</c> is <c>&lt;device id or name&gt;:&lt;field&gt;</c>; <c>type</c> is
/// <c>timeserie</c> (default) or <c>table</c>; <c>data</c> may carry <c>{"agg": "max"}</c>.
/// </summary>
public sealed record GrafanaTarget(string? Target = null, string? RefId = null, string? Type = null, bool? Hide = null, JsonElement? Data = null, JsonElement? Payload = null);

public sealed record GrafanaAdhocFilter(string? Key = null, string? Operator = null, string? Value = null);

/// <summary>A time series answer: datapoints are <c>[value, epoch ms]</c>.</summary>
public sealed record GrafanaTimeSeries(string Target, IReadOnlyList<object?[]> Datapoints, string? RefId);

public sealed record GrafanaTable(string Type, IReadOnlyList<GrafanaColumn> Columns, IReadOnlyList<object?[]> Rows, string? RefId);

public sealed record GrafanaColumn(string Text, string Type);

/// <summary>POST /grafana/tag-values: <c>{"key": "device"}</c>.</summary>
public sealed record GrafanaTagValuesRequest(string? Key = null);

public sealed record GrafanaTagKey(string Type, string Text);

public sealed record GrafanaTagValue(string Text);
