namespace Datacake.Streams.Processing.Decoding;

/// <summary>Sandbox limits of workspace JavaScript decoders (configuration section "Processing:JavaScript").</summary>
public sealed record JavaScriptDecoderOptions
{
    public const string Section = "Processing:JavaScript";

    /// <summary>Wall time per call. Typical decoders run in 20-200 µs here, so 100 ms only stops runaway loops.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Bytes a call may allocate (Jint counts the thread's allocations). A decoder needs kilobytes.</summary>
    public long MemoryLimitBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Statements per call: a second stop for loops, independent of machine speed.</summary>
    public int MaxStatements { get; init; } = 1_000_000;

    /// <summary>Call depth.</summary>
    public int MaxRecursion { get; init; } = 128;

    /// <summary>Longest source accepted, in characters.</summary>
    public int MaxSourceLength { get; init; } = 256 * 1024;

    /// <summary>Compiled scripts kept, by (decoder id, source hash).</summary>
    public int CompiledCacheSize { get; init; } = 1024;
}
