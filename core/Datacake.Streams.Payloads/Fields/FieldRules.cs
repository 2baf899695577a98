using System.Buffers;
using System.Text;

namespace Datacake.Streams.Payloads.Fields;

/// <summary>
/// The field rules of docs/DATA-MODEL.md, shared by every reader of device values: the JSON values of HTTP and MQTT
/// ingest, a network server's decoded payload, a payload decoder's output.
/// </summary>
public static class FieldRules
{
    public const int MaxNameLength = 64;
    public const int MaxFields = 100;
    public const int MaxStringBytes = 1024;

    /// <summary>Nested objects (and arrays) flatten with '.', at most this many levels (<c>a.b.c</c>).</summary>
    public const int MaxDepth = 3;

    // Checked for every field of every record: one vectorised search instead of a test per character.
    private static readonly SearchValues<char> s_nameCharacters =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-");

    private static readonly SearchValues<byte> s_nameBytes =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"u8);

    public static bool IsValidName(ReadOnlySpan<char> name) =>
        !name.IsEmpty && name.Length <= MaxNameLength && !name.ContainsAnyExcept(s_nameCharacters);

    /// <summary>A name segment as it stands in JSON (unescaped bytes).</summary>
    public static bool IsValidName(ReadOnlySpan<byte> name) =>
        !name.IsEmpty && name.Length <= MaxNameLength && !name.ContainsAnyExcept(s_nameBytes);

    public static bool FitsString(string value) =>
        value.Length <= MaxStringBytes / 3 || Encoding.UTF8.GetByteCount(value) <= MaxStringBytes;
}
