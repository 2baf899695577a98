using System.Diagnostics;
using Datacake.Streams.Processing.Decoding;

namespace Datacake.Streams.UnitTests.Processing.Decoding;

public sealed class JavaScriptDecoderTests
{
    private static readonly byte[] _sample = [0x09, 0x29, 0x01];
    private readonly JavaScriptDecoder _decoder = new(new JavaScriptDecoderOptions());

    [Fact]
    public void Decoder_bytes_port_returning_an_object_is_flattened()
    {
        const string source = """
            function Decoder(bytes, port) {
              return { temperature: ((bytes[0] << 8) | bytes[1]) / 100, open: bytes[2] === 1, port: port, env: { note: 'ok' } };
            }
            """;

        var points = Run(source, _sample, 5);

        Assert.Equal(23.45, Field(points, "temperature").Number);
        Assert.True(Field(points, "open").Boolean);
        Assert.Equal(5, Field(points, "port").Number);
        Assert.Equal("ok", Field(points, "env.note").Text);
    }

    [Fact]
    public void Decoder_returning_datacake_field_value_entries_writes_each()
    {
        const string source = """
            function Decoder(bytes, port) {
              return [ { field: 'TEMPERATURE', value: bytes[0] }, { field: 'BATTERY', value: 3.6 } ];
            }
            """;

        var points = Run(source, _sample, 1);

        Assert.Equal(9, Field(points, "TEMPERATURE").Number);
        Assert.Equal(3.6, Field(points, "BATTERY").Number);
    }

    [Fact]
    public void DecodeUplink_data_is_written_and_errors_fail_with_their_text()
    {
        const string good = "function decodeUplink(input) { return { data: { first: input.bytes[0], port: input.fPort }, warnings: ['low battery'] }; }";
        const string bad = "function decodeUplink(input) { return { errors: ['unknown frame type 9', 'crc'] }; }";

        var points = Run(good, _sample, 7);
        var failed = _decoder.Decode("dec_bad", bad, _sample, 7, new DecodedPoints());

        Assert.Equal(9, Field(points, "first").Number);
        Assert.Equal(7, Field(points, "port").Number);
        Assert.False(failed.Succeeded);
        Assert.Equal("decodeUplink errors: unknown frame type 9; crc", failed.Error);
    }

    [Fact]
    [Trait("Reliability", "poison-records")]
    public void A_throwing_or_unparsable_or_empty_decoder_fails_with_its_error()
    {
        var thrown = _decoder.Decode("d1", "function Decoder(b, p) { throw new Error('frame too short'); }", _sample, 1, new DecodedPoints());
        var syntax = _decoder.Decode("d2", "function Decoder(b, p) { return {", _sample, 1, new DecodedPoints());
        var none = _decoder.Decode("d3", "var x = 1;", _sample, 1, new DecodedPoints());
        var badName = _decoder.Decode("d4", "function Decoder(b, p) { return { 'bad name!': 1 }; }", _sample, 1, new DecodedPoints());

        Assert.Contains("frame too short", thrown.Error, StringComparison.Ordinal);
        Assert.StartsWith("decoder does not parse", syntax.Error, StringComparison.Ordinal);
        Assert.Contains("neither decodeUplink(input) nor Decoder(bytes, port)", none.Error, StringComparison.Ordinal);
        Assert.Contains("bad name!", badName.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_infinite_loop_is_stopped_within_the_100_ms_budget()
    {
        var decoder = new JavaScriptDecoder(new JavaScriptDecoderOptions { MaxStatements = int.MaxValue });
        decoder.Decode("warm", "function Decoder(b, p) { return {}; }", _sample, 1, new DecodedPoints());

        var watch = Stopwatch.StartNew();
        var result = decoder.Decode("loop", "function Decoder(b, p) { while (true) { } }", _sample, 1, new DecodedPoints());
        watch.Stop();

        Assert.False(result.Succeeded);

        // "decoder: timed out", or on a loaded machine "...(still running after 100 ms)" from the watchdog.
        Assert.StartsWith("decoder: timed out", result.Error, StringComparison.Ordinal);
        // The script's deadline is the budget less the regex timeout (80 ms); the partition never waits past 100 ms
        // (the upper bound leaves room for a loaded machine's scheduling).
        Assert.InRange(watch.ElapsedMilliseconds, 75, 1_000);
    }

    [Fact]
    public void The_statement_limit_stops_a_loop_independent_of_the_clock()
    {
        var decoder = new JavaScriptDecoder(new JavaScriptDecoderOptions { MaxStatements = 10_000, Timeout = TimeSpan.FromSeconds(10) });

        var result = decoder.Decode("loop", "function Decoder(b, p) { var i = 0; while (true) { i++; } }", _sample, 1, new DecodedPoints());

        Assert.Equal("decoder: statement limit exceeded", result.Error);
    }

    [Fact]
    public void A_memory_bomb_is_refused_by_the_memory_limit()
    {
        var decoder = new JavaScriptDecoder(new JavaScriptDecoderOptions { MaxStatements = int.MaxValue, Timeout = TimeSpan.FromSeconds(10) });
        const string bomb = "function Decoder(b, p) { var a = []; while (true) { a.push(new Array(100000).fill(1.5)); } }";

        var result = decoder.Decode("bomb", bomb, _sample, 1, new DecodedPoints());

        Assert.Equal("decoder: memory limit exceeded", result.Error);
    }

    [Fact]
    public void Deep_recursion_is_refused()
    {
        var result = _decoder.Decode("rec", "function f(n) { return f(n + 1); } function Decoder(b, p) { return { x: f(0) }; }", _sample, 1, new DecodedPoints());

        Assert.Equal("decoder: recursion limit exceeded", result.Error);
    }

    [Fact]
    public void The_sandbox_exposes_no_clr_no_host_and_no_io()
    {
        const string probe = """
            function Decoder(bytes, port) {
              return { system: typeof System, importNamespace: typeof importNamespace, require: typeof require,
                       process: typeof process, fetch: typeof fetch, xhr: typeof XMLHttpRequest, clrType: typeof bytes.GetType };
            }
            """;

        var points = Run(probe, _sample, 1);
        var reach = _decoder.Decode("io", "function Decoder(b, p) { return { t: System.IO.File.ReadAllText('/etc/hostname') }; }", _sample, 1, new DecodedPoints());

        Assert.All(points.Values, f => Assert.Equal("undefined", f.Text));
        Assert.Equal(7, points.Values.Count);
        Assert.False(reach.Succeeded);
        Assert.Contains("System is not defined", reach.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void State_does_not_leak_from_one_call_to_the_next()
    {
        const string source = "var calls = 0; function Decoder(b, p) { calls++; return { calls: calls }; }";

        Run(source, _sample, 1);
        var second = Run(source, _sample, 1);

        Assert.Equal(1, Field(second, "calls").Number);
    }

    [Fact]
    public void Compiled_scripts_are_cached_by_decoder_id_and_source()
    {
        var decoder = new JavaScriptDecoder(new JavaScriptDecoderOptions());
        const string v1 = "function Decoder(b, p) { return { v: 1 }; }";
        const string v2 = "function Decoder(b, p) { return { v: 2 }; }";

        decoder.Decode("dec_1", v1, _sample, 1, new DecodedPoints());
        decoder.Decode("dec_1", v1, _sample, 1, new DecodedPoints());
        Assert.Equal(1, decoder.CompiledCount);

        var points = new DecodedPoints();
        decoder.Decode("dec_1", v2, _sample, 1, points);
        Assert.Equal(2, decoder.CompiledCount);
        Assert.Equal(2, points.Values[0].Number);
    }

    private DecodedPoints Run(string source, byte[] payload, uint port)
    {
        var points = new DecodedPoints();
        var result = _decoder.Decode("dec_test", source, payload, port, points);
        Assert.True(result.Succeeded, result.Error);
        return points;
    }

    private static DecodedField Field(DecodedPoints points, string name) => Assert.Single(points.Values, f => f.Name == name);
}
