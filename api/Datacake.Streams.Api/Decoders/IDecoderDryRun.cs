using Datacake.Streams.Access;

namespace Datacake.Streams.Api.Decoders;

/// <summary>The fields a decoder would write, in decoder order, or its error.</summary>
public sealed record DecoderDryRunAnswer(bool Succeeded, IReadOnlyList<KeyValuePair<string, object?>> Fields, string? Error);

/// <summary>
/// The seam to processing's decoders for <c>POST /v1/decoders/{id}/test</c>: the API does not reference the pipeline
/// (Akka, Jint); the host wires the implementation that runs the production decoder with production limits.
/// </summary>
public interface IDecoderDryRun
{
    DecoderDryRunAnswer Run(DecoderEntry decoder, ReadOnlySpan<byte> payload, uint port);
}
