namespace Datacake.Streams.Processing.Decoding;

/// <summary>Sandbox limits of workspace JavaScript decoders (configuration section "Processing:JavaScript").</summary>
/// <remarks>
/// A partition's records are decoded in log order and partitions mix workspaces, so every limit here is also how
/// long one workspace's decoder can hold the records of others behind it: each one is enforced within
/// <see cref="Timeout"/>.
/// </remarks>
public sealed record JavaScriptDecoderOptions
{
    public const string Section = "Processing:JavaScript";

    /// <summary>
    /// The per-record budget: the partition never waits longer for a decoder call. Typical decoders run in
    /// 20-200 µs here, so 100 ms only stops runaways. The script itself is stopped at
    /// <see cref="Timeout"/> − <see cref="RegexTimeout"/>, so that a regular expression still matching then ends
    /// within the budget too; a call still running at <see cref="Timeout"/> (inside one long built-in) is left behind
    /// on its thread and counts as a timeout.
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Longest single regular-expression match. Jint's default is 10 s: <c>/(a+)+$/</c> on 30 'a's and a '!' ran
    /// 10.6 s. A decoder's patterns run on a payload of at most a few hundred characters, in microseconds.
    /// </summary>
    public TimeSpan RegexTimeout { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Bytes a call may allocate (Jint counts the thread's allocations between statements). A decoder needs kilobytes.
    /// One built-in can allocate far more inside a single statement ('a'.repeat(5e8): 953 MiB, 3 s; a typed array
    /// from <c>{length: 1e9}</c>: 69 GiB over 122 s, measured here), so the sandbox also refuses any single string
    /// longer than a quarter of this in characters (half of it in bytes) and any single typed array or buffer larger
    /// than half of it, before it is built.
    /// </summary>
    public long MemoryLimitBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>
    /// Elements of one array (Jint's default is unlimited). Jint compares the capacity, a power of two:
    /// 2^20 lets <c>new Array(1e6)</c> through, and 8 MiB of element references stays within the memory limit.
    /// </summary>
    public uint MaxArrayLength { get; init; } = 1 << 20;

    /// <summary>Statements per call: a second stop for loops, independent of machine speed.</summary>
    public int MaxStatements { get; init; } = 1_000_000;

    /// <summary>Call depth. The native stack is probed as well (getters, toString coercions, proxies), so no route ends the process with a stack overflow.</summary>
    public int MaxRecursion { get; init; } = 128;

    /// <summary>Longest source accepted, in characters.</summary>
    public int MaxSourceLength { get; init; } = 256 * 1024;

    /// <summary>Compiled scripts kept, by (decoder id, source hash).</summary>
    public int CompiledCacheSize { get; init; } = 1024;

    /// <summary>
    /// Limit hits (timeouts, memory, statements, recursion, array size) within <see cref="SuspendWindow"/> after which
    /// the decoder is suspended: its records are dead-lettered <c>decoder_suspended</c> without running it, until
    /// the decoder is edited. 3 hits cost other workspaces at most 3 × <see cref="Timeout"/> per window.
    /// </summary>
    public int SuspendAfter { get; init; } = 3;

    /// <summary>Window of <see cref="SuspendAfter"/>.</summary>
    public TimeSpan SuspendWindow { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The script's own deadline: the budget less one regular-expression match.</summary>
    internal TimeSpan ScriptDeadline => Timeout - RegexTimeout;

    /// <summary>Longest string one built-in call may build: a quarter of the memory limit (2 bytes a character).</summary>
    internal long MaxStringChars => MemoryLimitBytes / 4;

    /// <summary>Largest typed array or buffer one constructor call may allocate.</summary>
    internal long MaxBufferBytes => MemoryLimitBytes / 2;
}
