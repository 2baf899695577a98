namespace Datacake.Streams.Payloads.JsonValues;

/// <summary>
/// Receives the points of a measurement body as <see cref="MeasurementBody.Read{TSink}"/> finds them, already checked:
/// a field name is 1-64 of <c>[A-Za-z0-9_.-]</c>, flattened with '.'. A struct (or ref struct) so the calls are direct;
/// ingest's check receives nothing, processing writes line protocol as the fields come.
/// </summary>
/// <remarks>
/// The spans are valid for the call only. A body that fails part-way has had some points written: the caller drops
/// them (processing discards the record's lines when it rejects the record).
/// </remarks>
public interface IMeasurementSink
{
    /// <summary>A point starts; its fields follow, then <see cref="EndPoint"/>.</summary>
    void BeginPoint();

    /// <summary>A number as JSON wrote it, known to fit a finite 64-bit float (every number is a float field).</summary>
    void Number(ReadOnlySpan<char> field, ReadOnlySpan<byte> jsonNumber);

    void Boolean(ReadOnlySpan<char> field, bool value);

    /// <summary>An unescaped string of at most 1,024 UTF-8 bytes.</summary>
    void Text(ReadOnlySpan<char> field, ReadOnlySpan<char> value);

    /// <summary>The point ends; <paramref name="timeUnixNs"/> is its own time, null when the body gives none.</summary>
    void EndPoint(long? timeUnixNs);
}
