using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.InfluxApi.Language;
using Datacake.Streams.Api.Retention;

namespace Datacake.Streams.Api.InfluxApi;

/// <summary>
/// A SELECT after scoping: the devices it reads (the caller's own, narrowed by the statement's tag conditions), the
/// tier the caller named (null: chosen as for <c>/series</c>), the time range [From, To) and the field conditions
/// that go on to InfluxDB. The statement's own WHERE is not used any further.
/// </summary>
public sealed record ScopedSelect(
    SelectStatement Statement,
    IReadOnlyList<ReadableDevice> Devices,
    StorageTier? Policy,
    DateTimeOffset From,
    DateTimeOffset To,
    IReadOnlyList<InfluxExpr> FieldConditions);
