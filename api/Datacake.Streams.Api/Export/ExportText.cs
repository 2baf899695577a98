using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Datacake.Streams.Api.Export;

/// <summary>Small UTF-8 writes into a buffer writer, for the text formats' headers and rows.</summary>
internal static class ExportText
{
    public static void Utf8(IBufferWriter<byte> output, ReadOnlySpan<char> text)
    {
        int max = Encoding.UTF8.GetMaxByteCount(text.Length);
        Span<byte> span = output.GetSpan(max);
        output.Advance(Encoding.UTF8.GetBytes(text, span));
    }

    public static void Bytes(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
    }

    public static void Byte(IBufferWriter<byte> output, byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }

    /// <summary>A name as a one-line JSON string literal, quotes included: safe in a comment line whatever the name holds.</summary>
    public static string Quoted(string text) => JsonSerializer.Serialize(text, s_relaxed);

    private static readonly JsonSerializerOptions s_relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
