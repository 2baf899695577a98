namespace Datacake.Streams.Processing.Decoding;

/// <summary>Why one version of a decoder is suspended (the hits and the last limit it hit) and since when.</summary>
public sealed record DecoderSuspension(string Reason, DateTimeOffset Since);
