using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text.Json;
using BitFaster.Caching.Lru;
using Jint;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Datacake.Streams.Processing.Decoding;

/// <summary>
/// Runs a workspace's JavaScript payload decoder in a Jint sandbox, in either common form:
/// <c>function decodeUplink(input)</c> (TTN v3: <c>input.bytes</c>, <c>input.fPort</c> → <c>{data, errors, warnings}</c>)
/// or <c>function Decoder(bytes, port)</c> (TTN v2 / Datacake: an object, or an array of <c>{field, value}</c>).
/// </summary>
/// <remarks>
/// <para>A decoder can hurt no one but its owner. Sandbox (<see cref="DecoderSandbox"/>): no CLR access, no I/O
/// objects; per call one deadline, regular-expression, memory, array-size, statement and recursion limits, the native
/// stack probed, the built-ins that build huge strings or buffers in one step guarded (<see cref="SandboxGuards"/>);
/// the call runs on a thread of its own and is given up at <see cref="JavaScriptDecoderOptions.Timeout"/> whatever it
/// is doing (<see cref="DecoderThreads"/>). A decoder that keeps hitting limits is suspended until edited
/// (<see cref="DecoderSuspensions"/>).</para>
/// <para>Each call re-runs the script, so its functions and top-level variables start fresh; the parsed script is
/// cached by (decoder id, source hash) with up to 4 idle engines (an engine stopped by a limit or an error is
/// discarded). Engines are kept per decoder only, so nothing a decoder changes reaches another decoder.</para>
/// <para>The result is serialized by the script's own <c>JSON.stringify</c> and written by
/// <see cref="DecodedObjectWriter"/>, so a decoder's output obeys exactly the rules of a decoded_payload.</para>
/// <para>Thread-safe. Never throws for a decoder's fault: every failure is a <see cref="DecodeResult"/>.</para>
/// </remarks>
public sealed partial class JavaScriptDecoder
{
    private readonly JavaScriptDecoderOptions _options;
    private readonly ConcurrentLru<(string Id, ulong Hash), CompiledScript> _compiled;
    private readonly DecoderThreads _threads;
    private readonly ILogger _log;
    private static readonly Lock s_warmUp = new();
    private static bool s_warmedUp;

    public JavaScriptDecoder(JavaScriptDecoderOptions options, TimeProvider? time = null, ILogger<JavaScriptDecoder>? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _compiled = new ConcurrentLru<(string, ulong), CompiledScript>(options.CompiledCacheSize);
        _threads = new DecoderThreads(new DecoderSandbox(options));
        _log = log ?? (ILogger)NullLogger.Instance;
        Suspensions = new DecoderSuspensions(options.SuspendAfter, options.SuspendWindow, time ?? TimeProvider.System);
        WarmUpOnce();
    }

    /// <summary>Scripts parsed so far that are still cached.</summary>
    public int CompiledCount => _compiled.Count;

    /// <summary>Calls given up at the budget whose thread is still running them.</summary>
    public int Runaways => _threads.Runaways;

    /// <summary>The suspension state of this process's decoders.</summary>
    public DecoderSuspensions Suspensions { get; }

    /// <summary>The suspension of this decoder source in this process, or null while it runs (never suspended, or edited since).</summary>
    public DecoderSuspension? SuspensionOf(string decoderId, string source)
    {
        ArgumentNullException.ThrowIfNull(decoderId);
        ArgumentNullException.ThrowIfNull(source);
        return Suspensions.TryGetSuspension(decoderId, SourceHash(source), out var suspension) ? suspension : null;
    }

    /// <summary>
    /// Decodes one record's payload. A limit hit counts toward the decoder's suspension; a suspended decoder is not
    /// run (<see cref="DecodeResult.IsSuspended"/>).
    /// </summary>
    public DecodeResult Decode(string decoderId, string source, ReadOnlySpan<byte> payload, uint port, IPointSink sink) =>
        Decode(decoderId, source, payload, port, sink, production: true);

    /// <summary>A dry run: the same sandbox and limits, never suspended and counting toward no suspension.</summary>
    internal DecodeResult Try(string decoderId, string source, ReadOnlySpan<byte> payload, uint port, IPointSink sink) =>
        Decode(decoderId, source, payload, port, sink, production: false);

    private DecodeResult Decode(string decoderId, string source, ReadOnlySpan<byte> payload, uint port, IPointSink sink, bool production)
    {
        ArgumentNullException.ThrowIfNull(decoderId);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sink);
        var script = Compile(decoderId, source);
        if (script.Error is not null)
        {
            return DecodeResult.Failed(script.Error);
        }

        if (production && Suspensions.IsSuspended(decoderId, script.SourceHash, out var reason))
        {
            return DecodeResult.Suspended(reason);
        }

        var outcome = _threads.Run(script, payload, port, _options.Timeout);
        if (outcome.Error is not null)
        {
            if (production && outcome.LimitHit && Suspensions.LimitHit(decoderId, script.SourceHash, outcome.Error))
            {
                LogSuspended(decoderId, _options.SuspendAfter, outcome.Error);
            }

            return DecodeResult.Failed(outcome.Error);
        }

        return outcome.Json!.Length > _options.MaxStringChars
            ? DecodeResult.Failed($"decoder answer is longer than {_options.MaxStringChars} characters")
            : ReadAnswer(outcome.Json, sink);
    }

    /// <summary>
    /// The first call in a process compiles Jint and the sandbox's guards: ~1 s measured, several on a busy machine.
    /// Paid once per process here, at start-up, with a budget of its own; otherwise the first record through any
    /// decoder would hit the 100 ms budget, be dead-lettered and count toward its decoder's suspension.
    /// </summary>
    private void WarmUpOnce()
    {
        // A second decoder built while the first warms up waits for it: its first record must not meet the cold JIT.
        lock (s_warmUp)
        {
            if (s_warmedUp)
            {
                return;
            }

            var script = Parse("function decodeUplink(input) { return { data: { warm: input.bytes[0] + input.fPort } }; }", 0);
            _threads.Run(script, [1], 1, TimeSpan.FromSeconds(30));
            s_warmedUp = true;
        }
    }

    private CompiledScript Compile(string decoderId, string source)
    {
        var hash = SourceHash(source);
        return _compiled.GetOrAdd((decoderId, hash), static (key, state) => state.Self.Parse(state.Source, key.Hash), (Self: this, Source: source));
    }

    /// <summary>A decoder version: its id stays when it is edited, its source hash changes.</summary>
    private static ulong SourceHash(string source) => XxHash3.HashToUInt64(MemoryMarshal.AsBytes(source.AsSpan()));

    private CompiledScript Parse(string source, ulong hash)
    {
        if (source.Length > _options.MaxSourceLength)
        {
            return new CompiledScript(null, $"decoder source is longer than {_options.MaxSourceLength} characters", hash);
        }

        try
        {
            return new CompiledScript(Engine.PrepareScript(source, strict: false), null, hash);
        }
        catch (Exception ex)
        {
            return new CompiledScript(null, "decoder does not parse: " + ex.Message, hash);
        }
    }

    private static DecodeResult ReadAnswer(string json, IPointSink sink)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var v3 = root.GetProperty("form").GetString() == "v3";
            if (!root.TryGetProperty("out", out var output))
            {
                return DecodeResult.Failed("decoder returned undefined");
            }

            return v3 ? ReadUplinkAnswer(output, sink) : ReadDecoderAnswer(output, sink);
        }
        catch (JsonException ex)
        {
            return DecodeResult.Failed("decoder answer is not JSON: " + ex.Message);
        }
        catch (InvalidOperationException ex)
        {
            return DecodeResult.Failed("invalid text in JSON: " + ex.Message);
        }
    }

    private static DecodeResult ReadUplinkAnswer(JsonElement output, IPointSink sink)
    {
        if (output.ValueKind != JsonValueKind.Object)
        {
            return DecodeResult.Failed("decodeUplink must return an object {data, errors, warnings}");
        }

        if (output.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array && errors.GetArrayLength() > 0)
        {
            var texts = errors.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() : e.GetRawText());
            return DecodeResult.Failed("decodeUplink errors: " + string.Join("; ", texts));
        }

        if (!output.TryGetProperty("data", out var data))
        {
            return DecodeResult.Failed("decodeUplink returned no data");
        }

        return DecodedObjectWriter.Write(data, sink);
    }

    private static DecodeResult ReadDecoderAnswer(JsonElement output, IPointSink sink)
    {
        if (output.ValueKind == JsonValueKind.Object)
        {
            return DecodedObjectWriter.Write(output, sink);
        }

        if (output.ValueKind != JsonValueKind.Array)
        {
            return DecodeResult.Failed("Decoder must return an object or an array of {field, value}");
        }

        var count = 0;
        foreach (var entry in output.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Object
                || !entry.TryGetProperty("field", out var field) || field.ValueKind != JsonValueKind.String
                || !entry.TryGetProperty("value", out var value))
            {
                return DecodeResult.Failed("Decoder array entries must be {field: string, value}");
            }

            var result = DecodedObjectWriter.WriteField(field.GetString()!, value, sink, ref count);
            if (!result.Succeeded)
            {
                return result;
            }
        }

        return DecodeResult.Ok;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Decoder {DecoderId} suspended after {Hits} limit hits: {Error}")]
    private partial void LogSuspended(string decoderId, int hits, string error);
}
