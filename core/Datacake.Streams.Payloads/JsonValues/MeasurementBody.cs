using System.Text.Json;
using Datacake.Streams.Payloads.Fields;

namespace Datacake.Streams.Payloads.JsonValues;

/// <summary>
/// The one reader of the JSON values format (the body of HTTP ingest and the payload of MQTT ingest, PayloadKind
/// JSON_VALUES): ingest checks a body with it before storing it, processing decodes the stored body with it, so a body
/// ingest accepted is one processing can write, and the other way round. One forward pass of a
/// <see cref="Utf8JsonReader"/>, no DOM, no allocation unless it fails.
/// </summary>
/// <remarks>
/// <para>Shapes (docs/DATA-MODEL.md): an object of values <c>{"temperature":21.5,"on":true}</c>, where a top-level
/// <c>time</c> is the point's time, not a field; or an array of entries
/// <c>[{"time":"2026-11-28T10:00:00Z" | 1764324000000, "values":{...}}]</c>, one point each, <c>time</c> optional,
/// each member once.</para>
/// <para>Values (<see cref="FieldRules"/>): a number that fits a finite 64-bit float, a boolean, a string of at most
/// 1,024 UTF-8 bytes, an array of numbers (<c>accel.0</c>), or an object of values (<c>env.t</c>); objects and arrays
/// nest at most 3 levels; names are 1-64 characters of <c>[A-Za-z0-9_.-]</c>, unescaped, after flattening; a point has
/// 1 to 100 fields.</para>
/// <para>Time: <see cref="Time.Rfc3339"/> (a zone is required) or <see cref="Time.EpochMilliseconds"/>; nothing before
/// 1970.</para>
/// </remarks>
public static partial class MeasurementBody
{
    /// <summary>Entries per body unless the caller says otherwise (MQTT; HTTP takes its option).</summary>
    public const int DefaultMaxEntries = 10_000;

    // Field names and string values are handed to the sink from per-thread heap buffers: a processing sink writes them
    // into line protocol through a ref struct, which stack memory of this call chain could not be passed to.
    [ThreadStatic]
    private static char[]? s_name;

    [ThreadStatic]
    private static char[]? s_text;

    /// <summary>Checks <paramref name="body"/> without writing it anywhere; never throws.</summary>
    public static MeasurementCheck Check(ReadOnlySpan<byte> body, int maxEntries = DefaultMaxEntries) =>
        Read(body, default(Unwritten), maxEntries);

    /// <summary>Checks <paramref name="body"/> and hands its points to <paramref name="sink"/> as they come; never throws.</summary>
    public static MeasurementCheck Read<TSink>(ReadOnlySpan<byte> body, TSink sink, int maxEntries = DefaultMaxEntries)
        where TSink : IMeasurementSink, allows ref struct
    {
        var walker = new Walker<TSink>(body, sink, maxEntries, s_name ??= new char[FieldRules.MaxNameLength + 16], s_text ??= new char[FieldRules.MaxStringBytes]);
        try
        {
            return walker.Run();
        }
        catch (JsonException)
        {
            return walker.Fail(MeasurementError.MalformedJson, "not well-formed JSON");
        }
    }

    /// <summary>Ingest's check: the body is stored as it came, nothing is written.</summary>
    private readonly struct Unwritten : IMeasurementSink
    {
        public void BeginPoint()
        {
        }

        public void Number(ReadOnlySpan<char> field, ReadOnlySpan<byte> jsonNumber)
        {
        }

        public void Boolean(ReadOnlySpan<char> field, bool value)
        {
        }

        public void Text(ReadOnlySpan<char> field, ReadOnlySpan<char> value)
        {
        }

        public void EndPoint(long? timeUnixNs)
        {
        }
    }
}
