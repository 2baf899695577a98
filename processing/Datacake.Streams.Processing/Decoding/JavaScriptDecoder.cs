using System.Collections.Concurrent;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text.Json;
using Acornima.Ast;
using BitFaster.Caching.Lru;
using Jint;
using Jint.Native;

namespace Datacake.Streams.Processing.Decoding;

/// <summary>
/// Runs a workspace's JavaScript payload decoder in a Jint sandbox, in either common form:
/// <c>function decodeUplink(input)</c> (TTN v3: <c>input.bytes</c>, <c>input.fPort</c> → <c>{data, errors, warnings}</c>)
/// or <c>function Decoder(bytes, port)</c> (TTN v2 / Datacake: an object, or an array of <c>{field, value}</c>).
/// </summary>
/// <remarks>
/// <para>Sandbox: no CLR access (Jint exposes none unless asked), no I/O objects exist in the engine, a wall-time
/// limit, a statement limit, an allocation limit and a recursion limit per script run (Jint resets them per
/// Execute/Invoke, so a call is bounded by about three times each limit). Each
/// call re-runs the script, so its functions and top-level variables start fresh; the parsed script is cached by
/// (decoder id, source hash) with up to 4 idle engines (an engine stopped by a limit or an error is discarded).
/// Engines are kept per decoder only, so nothing a decoder changes reaches another decoder.</para>
/// <para>The result is serialized by the script's own <c>JSON.stringify</c> and written by
/// <see cref="DecodedObjectWriter"/>, so a decoder's output obeys exactly the rules of a decoded_payload.</para>
/// <para>Thread-safe. Never throws for a decoder's fault: every failure is a <see cref="DecodeResult"/>.</para>
/// </remarks>
public sealed class JavaScriptDecoder
{
    // Calls the decoder and serializes its answer in the sandbox: the host reads only a string back.
    private const string Harness = """
        function __dcsDecode(bytes, port) {
          if (typeof decodeUplink === 'function') {
            return JSON.stringify({ form: 'v3', out: decodeUplink({ bytes: bytes, fPort: port }) });
          }
          if (typeof Decoder === 'function') {
            return JSON.stringify({ form: 'v2', out: Decoder(bytes, port) });
          }
          throw new Error('the decoder defines neither decodeUplink(input) nor Decoder(bytes, port)');
        }
        """;

    private static readonly Prepared<Script> _harness = Engine.PrepareScript(Harness);

    private readonly JavaScriptDecoderOptions _options;
    private readonly ConcurrentLru<(string Id, ulong Hash), CompiledScript> _compiled;

    public JavaScriptDecoder(JavaScriptDecoderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _compiled = new ConcurrentLru<(string, ulong), CompiledScript>(options.CompiledCacheSize);
    }

    /// <summary>Scripts parsed so far that are still cached.</summary>
    public int CompiledCount => _compiled.Count;

    public DecodeResult Decode(string decoderId, string source, ReadOnlySpan<byte> payload, uint port, IPointSink sink)
    {
        ArgumentNullException.ThrowIfNull(decoderId);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sink);
        var script = Compile(decoderId, source);
        if (script.Error is not null)
        {
            return DecodeResult.Failed(script.Error);
        }

        string? json;
        try
        {
            json = Run(script, payload, port);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return DecodeResult.Failed("decoder: " + Describe(ex));
        }

        return json is null ? DecodeResult.Failed("decoder returned nothing") : ReadAnswer(json, sink);
    }

    private CompiledScript Compile(string decoderId, string source)
    {
        var hash = XxHash3.HashToUInt64(MemoryMarshal.AsBytes(source.AsSpan()));
        return _compiled.GetOrAdd((decoderId, hash), static (_, state) => state.Self.Parse(state.Source), (Self: this, Source: source));
    }

    private CompiledScript Parse(string source)
    {
        if (source.Length > _options.MaxSourceLength)
        {
            return new CompiledScript(null, $"decoder source is longer than {_options.MaxSourceLength} characters");
        }

        try
        {
            return new CompiledScript(Engine.PrepareScript(source, strict: false), null);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return new CompiledScript(null, "decoder does not parse: " + ex.Message);
        }
    }

    private string? Run(CompiledScript script, ReadOnlySpan<byte> payload, uint port)
    {
        var engine = script.Rent() ?? new Engine(o => o
            .TimeoutInterval(_options.Timeout)
            .LimitMemory(_options.MemoryLimitBytes)
            .MaxStatements(_options.MaxStatements)
            .LimitRecursion(_options.MaxRecursion));
        var healthy = false;
        try
        {
            // Re-running the script and the harness each call resets the decoder's functions and top-level
            // variables, so one call's globals do not reach the next.
            engine.Execute(script.Script!.Value);
            engine.Execute(_harness);
            var bytes = new JsValue[payload.Length];
            for (var i = 0; i < payload.Length; i++)
            {
                bytes[i] = JsNumber.Create(payload[i]);
            }

            var answer = engine.Invoke("__dcsDecode", new JsArray(engine, bytes), JsNumber.Create(port));
            healthy = true;
            return answer.IsString() ? answer.AsString() : null;
        }
        finally
        {
            // An engine stopped by a limit or an exception may hold half-built state: never reuse it.
            if (!healthy || !script.Return(engine))
            {
                engine.Dispose();
            }
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

    private static string Describe(Exception ex) => ex switch
    {
        Jint.Runtime.JavaScriptException js => js.Message,
        TimeoutException => "timed out",
        Jint.Runtime.MemoryLimitExceededException => "memory limit exceeded",
        Jint.Runtime.StatementsCountOverflowException => "statement limit exceeded",
        Jint.Runtime.RecursionDepthOverflowException => "recursion limit exceeded",
        _ => ex.Message,
    };

    /// <summary>A parsed script and a few idle engines that ran it: creating an engine costs ~5× a call (measured here).</summary>
    private sealed class CompiledScript(Prepared<Script>? script, string? error)
    {
        private const int MaxIdleEngines = 4;
        private readonly ConcurrentBag<Engine> _idle = [];

        public Prepared<Script>? Script { get; } = script;

        public string? Error { get; } = error;

        public Engine? Rent() => _idle.TryTake(out var engine) ? engine : null;

        public bool Return(Engine engine)
        {
            if (_idle.Count >= MaxIdleEngines)
            {
                return false;
            }

            _idle.Add(engine);
            return true;
        }
    }
}
