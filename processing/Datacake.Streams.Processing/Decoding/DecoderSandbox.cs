using System.Text.RegularExpressions;
using Acornima.Ast;
using Jint;
using Jint.Constraints;
using Jint.Native;
using Jint.Runtime;

namespace Datacake.Streams.Processing.Decoding;

/// <summary>
/// The engines decoders run in: no CLR access (Jint exposes none unless asked), no I/O objects, every limit of
/// <see cref="JavaScriptDecoderOptions"/>, the <see cref="SandboxGuards"/>, and one deadline for the whole call.
/// </summary>
internal sealed class DecoderSandbox
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

    private const string GuardMarker = "more than the sandbox allows";
    private const string StackMarker = "Maximum call stack size exceeded";

    private static readonly Prepared<Script> _harness = Engine.PrepareScript(Harness);

    private readonly JavaScriptDecoderOptions _options;
    private readonly Prepared<Script> _guards;

    public DecoderSandbox(JavaScriptDecoderOptions options)
    {
        _options = options;
        _guards = Engine.PrepareScript(SandboxGuards.Source(options));
    }

    /// <summary>
    /// An engine for <paramref name="script"/>: an idle one, else a new one with the guards and harness run (~1 ms
    /// warm, a few hundred ms cold). Taken by the caller, outside the budget: it runs no decoder code.
    /// </summary>
    public SandboxEngine Rent(CompiledScript script) => script.Rent() ?? Create();

    /// <summary>Runs one call of <paramref name="script"/> in <paramref name="engine"/> on the calling thread, then returns or discards the engine. Never throws.</summary>
    public SandboxOutcome Run(SandboxEngine engine, CompiledScript script, ReadOnlySpan<byte> payload, uint port)
    {
        var healthy = false;
        try
        {
            engine.Deadline.Begin(_options.ScriptDeadline, CancellationToken.None);

            // Re-running the script each call resets the decoder's functions and top-level variables, so one call's
            // globals do not reach the next. Jint resets the memory and statement limits per entry: a call is
            // bounded by twice each (this entry and the invoke); the deadline spans both.
            engine.Engine.Execute(script.Script!.Value);
            var bytes = new JsValue[payload.Length];
            for (var i = 0; i < payload.Length; i++)
            {
                bytes[i] = JsNumber.Create(payload[i]);
            }

            var answer = engine.Engine.Invoke("__dcsDecode", new JsArray(engine.Engine, bytes), JsNumber.Create(port));
            healthy = true;
            return answer.IsString() ? new SandboxOutcome(answer.AsString(), null, false) : new SandboxOutcome(null, "decoder returned nothing", false);
        }
        catch (Exception ex)
        {
            // Everything, OutOfMemoryException included: a failed huge allocation leaves the process as it was, and
            // rethrowing would fail the same record after every restart.
            return new SandboxOutcome(null, "decoder: " + Describe(ex), IsLimit(ex));
        }
        finally
        {
            engine.Deadline.End();

            // An engine stopped by a limit or an exception may hold half-built state: never reuse it.
            if (!healthy || !script.Return(engine))
            {
                engine.Engine.Dispose();
            }
        }
    }

    private SandboxEngine Create()
    {
        var deadline = new OperationDeadlineConstraint();
        var engine = new Engine(o =>
        {
            o.LimitMemory(_options.MemoryLimitBytes)
                .MaxStatements(_options.MaxStatements)
                .LimitRecursion(_options.MaxRecursion)
                .Constraint(deadline);
            o.Constraints.RegexTimeout = _options.RegexTimeout;
            o.Constraints.MaxArraySize = _options.MaxArrayLength;
            o.Constraints.StackOverflowGuard = true;
        });
        engine.Execute(_guards);
        engine.Execute(_harness);
        return new SandboxEngine(engine, deadline);
    }

    private static bool IsLimit(Exception ex) => ex is not JavaScriptException js
        || js.Message.Contains(GuardMarker, StringComparison.Ordinal)
        || js.Message.Contains(StackMarker, StringComparison.Ordinal);

    private string Describe(Exception ex) => ex switch
    {
        JavaScriptException js => js.Message,
        RegexMatchTimeoutException => $"regular expression timed out after {_options.RegexTimeout.TotalMilliseconds:0} ms",
        TimeoutException => "timed out",
        MemoryLimitExceededException when ex.Message.Contains("array size", StringComparison.Ordinal) => $"array longer than {_options.MaxArrayLength} elements",
        MemoryLimitExceededException => "memory limit exceeded",
        StatementsCountOverflowException => "statement limit exceeded",
        RecursionDepthOverflowException => "recursion limit exceeded",
        OutOfMemoryException => "out of memory",
        _ => ex.GetType().Name + ": " + ex.Message,
    };
}
