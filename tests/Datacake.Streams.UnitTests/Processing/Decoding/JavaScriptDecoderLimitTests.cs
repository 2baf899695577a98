using Datacake.Streams.Payloads.Fields;
using System.Diagnostics;
using Datacake.Streams.Processing.Decoding;

namespace Datacake.Streams.UnitTests.Processing.Decoding;

/// <summary>
/// Each sandbox limit stops what it is for (tests with a 5 s budget and a 1 MiB memory limit, so that the limit under
/// test, not the clock of a loaded machine, decides), and with the default 100 ms budget every one of these calls
/// returns within about the budget, so a decoder holds the other workspaces of its partition no longer than that.
/// Unguarded, the same calls ran 3-122 s here (see SandboxGuards).
/// </summary>
public sealed class JavaScriptDecoderLimitTests
{
    // 100 ms budget; the rest is room for a machine shared by several builds (load average 20 on 2 cores seen).
    private const long WithinBudgetMs = 600;
    private static readonly byte[] _sample = [0x09, 0x29, 0x01];
    private readonly JavaScriptDecoder _decoder = new(new JavaScriptDecoderOptions());
    private readonly JavaScriptDecoder _patient = new(new JavaScriptDecoderOptions
    {
        Timeout = TimeSpan.FromSeconds(5),
        MemoryLimitBytes = 1024 * 1024,
        MaxStatements = int.MaxValue,
    });

    public JavaScriptDecoderLimitTests()
    {
        _decoder.Decode("warm", "function Decoder(b, p) { return { a: 'x'.repeat(2) }; }", _sample, 1, new DecodedPoints());
        _patient.Decode("warm", "function Decoder(b, p) { return { a: 'x'.repeat(2) }; }", _sample, 1, new DecodedPoints());
    }

    public static TheoryData<string> Hostile => new()
    {
        "function Decoder(b, p) { return { evil: /(a+)+$/.test('a'.repeat(30) + '!') }; }",
        "function Decoder(b, p) { var s = 'a'.repeat(30) + '!'; for (;;) { try { /(a+)+$/.test(s); } catch (e) { } } }",
        "function Decoder(b, p) { while (true) { } }",
        "function Decoder(b, p) { return { n: new Uint8Array({ length: 1e9 }).length }; }",
        "function Decoder(b, p) { return { n: 'a'.repeat(5e8).length }; }",
        "function Decoder(b, p) { return { n: 'x'.repeat(1e6).replaceAll('x', 'y'.repeat(1000)).length }; }",
        "function Decoder(b, p) { return { n: new Array(1000).fill('x'.repeat(1e6)).join('').length }; }",
        "function Decoder(b, p) { var a = []; for (;;) { a.push(new Array(1000).fill(1)); } }",
        "function f(n) { return f(n + 1); } function Decoder(b, p) { return { x: f(0) }; }",
        "function Decoder(b, p) { var o = { toString: function () { return '' + o; } }; return { x: '' + o }; }",
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Every_hostile_decoder_returns_within_about_the_budget(string source)
    {
        var (result, ms) = Timed(_decoder, source);

        Assert.False(result.Succeeded);
        Assert.StartsWith("decoder: ", result.Error, StringComparison.Ordinal);
        Assert.InRange(ms, 0, WithinBudgetMs);

        // A call given up at the budget on a loaded machine ends by itself soon after (its deadline, a guard):
        // no thread outlives the test to disturb the process-wide memory tests.
        Assert.True(SpinWait.SpinUntil(() => _decoder.Runaways == 0, TimeSpan.FromSeconds(30)), "a left-behind call never ended");
    }

    [Fact]
    public void Catastrophic_regex_backtracking_is_stopped_by_the_regex_timeout()
    {
        // Jint's default regex timeout (10 s) let this run 10.6 s.
        var (result, ms) = Timed(_patient, "function Decoder(b, p) { return { evil: /(a+)+$/.test('a'.repeat(30) + '!') }; }");

        Assert.Equal("decoder: regular expression timed out after 20 ms", result.Error);
        Assert.InRange(ms, 0, 2_000);
    }

    [Fact]
    public void A_script_that_catches_regex_timeouts_in_a_loop_is_stopped_by_the_deadline()
    {
        var (result, _) = Timed(_decoder, "function Decoder(b, p) { var s = 'a'.repeat(30) + '!'; for (;;) { try { /(a+)+$/.test(s); } catch (e) { } } }");

        Assert.Contains("timed out", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("new Array(1e9)", "decoder: array longer than 1048576 elements")]
    [InlineData("new Array(1e6).length", "")]
    [InlineData("Array.from({ length: 1e8 })", "decoder: array longer than 1048576 elements")]
    [InlineData("new Uint8Array({ length: 1e9 })", "new Uint8Array would build 1000000000 bytes")]
    [InlineData("new Float64Array(3e8)", "new Float64Array would build 2400000000 bytes")]
    [InlineData("new ArrayBuffer(2e9)", "new ArrayBuffer would build 2000000000 bytes")]
    [InlineData("new ArrayBuffer(1, { maxByteLength: 2e9 })", "new ArrayBuffer would build 2000000000 bytes")]
    [InlineData("new (new Uint8Array(1).constructor)(1e9)", "new Uint8Array would build 1000000000 bytes")]
    public void A_huge_array_or_buffer_is_refused_before_it_is_allocated(string expression, string error)
    {
        var (result, ms) = Timed(_patient, $"function Decoder(b, p) {{ var x = {expression}; return {{ n: x.length }}; }}");

        Assert.Equal(error.Length == 0, result.Succeeded);
        Assert.Contains(error, result.Error ?? "", StringComparison.Ordinal);
        Assert.InRange(ms, 0, 2_000);
    }

    [Theory]
    // 1 MiB memory limit: strings of at most 262,144 characters per built-in call.
    [InlineData("'a'.repeat(5e8)", "repeat would build 500000000")]
    [InlineData("'a'.repeat(1e5)", "")]
    [InlineData("'a'.padStart(5e8)", "padStart would build 500000000")]
    [InlineData("'x'.repeat(1e5).replaceAll('x', 'y'.repeat(1000))", "replaceAll would build")]
    [InlineData("'x'.repeat(1e5).replace(/x/g, '$&$&$&$&$&')", "replace would build")]
    [InlineData("new Array(1000).fill('x'.repeat(1e5)).join('')", "join would build")]
    [InlineData("String(new Array(1000).fill('x'.repeat(1e5)))", "join would build")]
    [InlineData("'x'.repeat(2e5).concat('y'.repeat(2e5))", "concat would build 400000")]
    [InlineData("encodeURIComponent('\\u00ff'.repeat(1e5))", "encodeURIComponent would build 900000")]
    [InlineData("(function () { var s = 'ab'; for (var i = 0; i < 40; i++) { s = s + s; } return s; })()", "memory limit exceeded")]
    public void A_big_string_is_refused_before_it_is_built(string expression, string error)
    {
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var (result, ms) = Timed(_patient, $"function Decoder(b, p) {{ var x = {expression}; return {{ n: x.length }}; }}");
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.Equal(error.Length == 0, result.Succeeded);
        Assert.Contains(error, result.Error ?? "", StringComparison.Ordinal);
        Assert.InRange(ms, 0, 2_000);

        // Unguarded, 'a'.repeat(5e8) alone allocated 953 MiB (other tests run meanwhile: a loose bound).
        Assert.InRange(allocated, 0, 256L * 1024 * 1024);
    }

    [Theory]
    [InlineData("function f(n) { return f(n + 1); } function Decoder(b, p) { return { x: f(0) }; }", "recursion limit exceeded")]
    [InlineData("function Decoder(b, p) { var o = {}; Object.defineProperty(o, 'x', { get: function () { return o.x; } }); return { x: o.x }; }", "recursion limit exceeded")]
    // Each frame of this one allocates too: which of Jint's limits stops it first depends on when the GC ran (in CI
    // beside the other tests, once the memory limit): either is the refusal this test is about.
    [InlineData("function Decoder(b, p) { var o = { toString: function () { return '' + o; } }; return { x: '' + o }; }", "Maximum call stack size exceeded|memory limit exceeded")]
    public void Deep_recursion_by_any_route_is_an_error_not_a_crash(string source, string error)
    {
        var (result, _) = Timed(_patient, source);

        Assert.False(result.Succeeded);
        Assert.Matches(error, result.Error ?? "");
    }

    [Fact]
    public void A_call_stuck_inside_one_built_in_is_left_behind_at_the_budget()
    {
        // JSON.stringify of 1,000 references to one 1 MB string runs ~1 s inside one native call, where Jint checks
        // no limit; the partition gets its answer at the budget and the thread finishes alone.
        var (result, ms) = Timed(_decoder, "function Decoder(b, p) { var s = 'x'.repeat(1e6); return { n: JSON.stringify(new Array(1000).fill(s)).length }; }");

        Assert.False(result.Succeeded);
        Assert.Equal("decoder: timed out (still running after 100 ms)", result.Error);
        Assert.InRange(ms, 0, WithinBudgetMs);
        Assert.True(SpinWait.SpinUntil(() => _decoder.Runaways == 0, TimeSpan.FromSeconds(30)), "the left-behind call never ended");
        Assert.True(_decoder.Decode("ok", "function Decoder(b, p) { return { ok: 1 }; }", _sample, 1, new DecodedPoints()).Succeeded);
    }

    [Fact]
    public void Ordinary_decoders_still_use_the_guarded_built_ins()
    {
        const string source = """
            function Decoder(bytes, port) {
              var hex = bytes.map(function (b) { return b.toString(16).padStart(2, '0'); }).join('');
              var view = new DataView(new Uint8Array([0x41, 0xbc, 0x00, 0x00]).buffer);
              var copy = Uint8Array.from(bytes).map(function (b) { return b + 1; });
              return {
                hex: hex, float: view.getFloat32(0), typed: copy instanceof Uint8Array, second: copy[1],
                text: 'ab'.repeat(2).concat('!').replace(/b/g, '$&$&'), all: 'a-b-c'.replaceAll('-', '+'),
                list: [1, [2, 3], null].toString(), uri: encodeURIComponent('a b'), buffer: new ArrayBuffer(8).byteLength,
                shared: typeof SharedArrayBuffer
              };
            }
            """;
        var points = new DecodedPoints();

        var result = _patient.Decode("ordinary", source, _sample, 1, points);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal("092901", Field(points, "hex").Text);
        Assert.Equal(23.5, Field(points, "float").Number);
        Assert.True(Field(points, "typed").Boolean);
        Assert.Equal(42, Field(points, "second").Number);
        Assert.Equal("abbabb!", Field(points, "text").Text);
        Assert.Equal("a+b+c", Field(points, "all").Text);
        Assert.Equal("1,2,3,", Field(points, "list").Text);
        Assert.Equal("a%20b", Field(points, "uri").Text);
        Assert.Equal(8, Field(points, "buffer").Number);
        Assert.Equal("undefined", Field(points, "shared").Text);
    }

    private static (DecodeResult Result, long Ms) Timed(JavaScriptDecoder decoder, string source)
    {
        var watch = Stopwatch.StartNew();
        var result = decoder.Decode("dec_" + source.GetHashCode(StringComparison.Ordinal), source, _sample, 1, new DecodedPoints());
        return (result, watch.ElapsedMilliseconds);
    }

    private static DecodedField Field(DecodedPoints points, string name) => Assert.Single(points.Values, f => f.Name == name);
}
