using Datacake.Streams.Api.Access;
using System.Text.Json;

namespace Datacake.Streams.Api.Queries;

/// <summary>The answer of a series query: which tier(s) answered, and one series per device (or one combined).</summary>
public sealed record SeriesAnswer(
    string Tier,
    bool Stitched,
    IReadOnlyList<SegmentView> Segments,
    DateTimeOffset From,
    DateTimeOffset To,
    string? Every,
    string? Agg,
    IReadOnlyList<DeviceSeries> Series);

/// <summary>A part of the range and the tier that answered it.</summary>
public sealed record SegmentView(string Tier, DateTimeOffset From, DateTimeOffset To, string? Every);

/// <summary>Device null when devices were combined (<c>groupByDevice: false</c>).</summary>
public sealed record DeviceSeries(DeviceRef? Device, IReadOnlyList<string> Fields, IReadOnlyList<SeriesPoint> Points);

public sealed record DeviceRef(string Id, string Name);

/// <summary>One time with a value (or null) per field.</summary>
public sealed record SeriesPoint(DateTimeOffset Time, IReadOnlyDictionary<string, JsonElement> Values);

/// <summary>Last value per field of one device, each with its own time.</summary>
public sealed record LastAnswer(DeviceRef Device, IReadOnlyDictionary<string, LastValue> Values);

public sealed record LastValue(DateTimeOffset Time, JsonElement Value);

/// <summary>The caller's query would answer more points than a limit allows: 400 with a hint.</summary>
public sealed class QueryTooLargeException(string message) : Exception(message);
