using Datacake.Streams.Access;

namespace Datacake.Streams.Processing.Decoding;

/// <summary>
/// <c>POST /v1/decoders/{id}/test</c>: runs a decoder on sample bytes with the limits of production and answers
/// the fields it would write, or its error. Pure: no record, no registry lookup, no write; it neither counts toward
/// nor is refused by a suspension (the owner tries the decoder to see why it was suspended).
/// </summary>
public sealed class DecoderDryRun(JavaScriptDecoder javaScript)
{
    private readonly JavaScriptDecoder _javaScript = javaScript ?? throw new ArgumentNullException(nameof(javaScript));

    public DecoderDryRunResult Run(DecoderEntry decoder, ReadOnlySpan<byte> payload, uint port)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        var points = new DecodedPoints();
        var result = _javaScript.Try(decoder.Id, decoder.Source, payload, port, points);
        return new DecoderDryRunResult(result.Succeeded, [.. points.Values], result.Error);
    }

    /// <summary>The built-in CayenneLPP decoder, for a device that names <c>"cayennelpp"</c>.</summary>
    public static DecoderDryRunResult RunCayenneLpp(ReadOnlySpan<byte> payload)
    {
        var points = new DecodedPoints();
        var result = CayenneLpp.Decode(payload, points);
        return new DecoderDryRunResult(result.Succeeded, [.. points.Values], result.Error);
    }
}
