namespace Datacake.Streams.Processing.Decoding;

/// <summary>The dry run's answer: the fields in decoder order, or the error a record would be dead-lettered with.</summary>
public sealed record DecoderDryRunResult(bool Succeeded, IReadOnlyList<DecodedField> Fields, string? Error);
