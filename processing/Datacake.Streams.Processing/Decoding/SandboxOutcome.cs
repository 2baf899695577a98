namespace Datacake.Streams.Processing.Decoding;

/// <summary>
/// One decoder call: the JSON its harness serialized, or the error; <see cref="LimitHit"/> when a sandbox limit
/// stopped it (time, memory, statements, recursion, array or string size), which counts toward suspension.
/// </summary>
internal readonly record struct SandboxOutcome(string? Json, string? Error, bool LimitHit);
