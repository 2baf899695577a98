using Datacake.Streams.Payloads.Fields;
using System.Diagnostics;
using Datacake.Streams.Access;
using Datacake.Streams.Processing.Decoding;
using Datacake.Streams.Processing.Pipeline;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.UnitTests.Processing.Decoding;

public sealed class DecoderSuspensionTests
{
    private const string Looping = "function Decoder(b, p) { while (true) { } }";

    // The loop allocates nothing, so only the statement limit could beat the timeout: on a quiet machine 1,000,000
    // statements run in under 100 ms. Lifted here so that the same limit is hit on every machine.
    private static readonly JavaScriptDecoderOptions s_timeoutFirst = new() { MaxStatements = int.MaxValue };
    private const string Fixed = "function Decoder(b, p) { return { ok: 1 }; }";
    private static readonly byte[] _sample = [0x01];
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Three_limit_hits_within_the_window_suspend_that_version()
    {
        var suspensions = new DecoderSuspensions(3, TimeSpan.FromMinutes(10), _time);

        Assert.False(suspensions.LimitHit("dec_1", 7, "timed out"));
        _time.Advance(TimeSpan.FromMinutes(4));
        Assert.False(suspensions.LimitHit("dec_1", 7, "timed out"));
        _time.Advance(TimeSpan.FromMinutes(4));
        Assert.False(suspensions.IsSuspended("dec_1", 7, out _));
        Assert.True(suspensions.LimitHit("dec_1", 7, "memory limit exceeded"));

        Assert.True(suspensions.IsSuspended("dec_1", 7, out var reason));
        Assert.Contains("after 3 limit hits within 10 min (last: memory limit exceeded)", reason, StringComparison.Ordinal);
        Assert.False(suspensions.IsSuspended("dec_2", 7, out _));
        Assert.Equal(1, suspensions.SuspendedCount);

        // It stays suspended however long nothing changes.
        _time.Advance(TimeSpan.FromDays(3));
        Assert.True(suspensions.IsSuspended("dec_1", 7, out _));
    }

    [Fact]
    public void Hits_spread_wider_than_the_window_never_suspend()
    {
        var suspensions = new DecoderSuspensions(3, TimeSpan.FromMinutes(10), _time);

        for (var i = 0; i < 20; i++)
        {
            Assert.False(suspensions.LimitHit("dec_1", 7, "timed out"));
            _time.Advance(TimeSpan.FromMinutes(5));
        }

        Assert.False(suspensions.IsSuspended("dec_1", 7, out _));
    }

    [Fact]
    public void An_edit_resumes_the_decoder_with_a_fresh_count()
    {
        var suspensions = new DecoderSuspensions(2, TimeSpan.FromMinutes(10), _time);
        suspensions.LimitHit("dec_1", 7, "timed out");
        suspensions.LimitHit("dec_1", 7, "timed out");
        Assert.True(suspensions.IsSuspended("dec_1", 7, out _));

        Assert.False(suspensions.IsSuspended("dec_1", 8, out _));
        Assert.False(suspensions.LimitHit("dec_1", 8, "timed out"));
        Assert.False(suspensions.IsSuspended("dec_1", 8, out _));
        Assert.False(suspensions.IsSuspended("dec_1", 7, out _));
        Assert.True(suspensions.LimitHit("dec_1", 8, "timed out"));
        Assert.True(suspensions.IsSuspended("dec_1", 8, out _));
    }

    [Fact]
    public void A_suspended_decoder_is_not_run_and_its_edit_runs_again()
    {
        var decoder = new JavaScriptDecoder(s_timeoutFirst, _time);
        for (var i = 0; i < 3; i++)
        {
            var failed = decoder.Decode("dec_loop", Looping, _sample, 1, new DecodedPoints());
            Assert.False(failed.IsSuspended);
            Assert.StartsWith("decoder: timed out", failed.Error, StringComparison.Ordinal);
        }

        var watch = Stopwatch.StartNew();
        var suspended = decoder.Decode("dec_loop", Looping, _sample, 1, new DecodedPoints());
        watch.Stop();
        var edited = decoder.Decode("dec_loop", Fixed, _sample, 1, new DecodedPoints());

        Assert.True(suspended.IsSuspended);
        Assert.False(suspended.Succeeded);
        Assert.StartsWith("decoder dec_loop is suspended after 3 limit hits", suspended.Error, StringComparison.Ordinal);
        Assert.InRange(watch.ElapsedMilliseconds, 0, 50);
        Assert.True(edited.Succeeded, edited.Error);

        // What the owner sees (GET /v1/decoders/{id}): the saved version suspended, the edited one running.
        var seen = decoder.SuspensionOf("dec_loop", Looping);
        Assert.NotNull(seen);
        Assert.Equal(suspended.Error, seen.Reason);
        Assert.Null(decoder.SuspensionOf("dec_loop", Fixed));
    }

    [Fact]
    public void A_suspension_tells_why_and_since_when_until_the_decoder_is_edited()
    {
        var suspensions = new DecoderSuspensions(2, TimeSpan.FromMinutes(10), _time);
        Assert.False(suspensions.TryGetSuspension("dec_1", 7, out _));
        suspensions.LimitHit("dec_1", 7, "timed out");
        _time.Advance(TimeSpan.FromMinutes(1));
        var suspendedAt = _time.GetUtcNow();
        suspensions.LimitHit("dec_1", 7, "memory limit exceeded");
        _time.Advance(TimeSpan.FromHours(5));

        Assert.True(suspensions.TryGetSuspension("dec_1", 7, out var suspension));
        Assert.Equal(suspendedAt, suspension.Since);
        Assert.Contains("(last: memory limit exceeded)", suspension.Reason, StringComparison.Ordinal);
        Assert.False(suspensions.TryGetSuspension("dec_2", 7, out _));

        // The edit (a new source hash) is running; asking does not restart the old version's suspension either.
        Assert.False(suspensions.TryGetSuspension("dec_1", 8, out _));
        Assert.True(suspensions.TryGetSuspension("dec_1", 7, out _));
        suspensions.LimitHit("dec_1", 8, "timed out");
        Assert.False(suspensions.TryGetSuspension("dec_1", 7, out _));
    }

    [Fact]
    public void Fast_failures_do_not_suspend()
    {
        var decoder = new JavaScriptDecoder(s_timeoutFirst, _time);
        const string throwing = "function Decoder(b, p) { throw new Error('frame too short'); }";

        for (var i = 0; i < 10; i++)
        {
            Assert.False(decoder.Decode("dec_throw", throwing, _sample, 1, new DecodedPoints()).IsSuspended);
        }

        Assert.Equal(0, decoder.Suspensions.SuspendedCount);
    }

    [Fact]
    public void The_dry_run_neither_counts_nor_is_refused()
    {
        var decoder = new JavaScriptDecoder(s_timeoutFirst, _time);
        var dryRun = new DecoderDryRun(decoder);
        var entry = new DecoderEntry("dec_loop", "ws_1", Looping);
        for (var i = 0; i < 4; i++)
        {
            Assert.StartsWith("decoder: timed out", dryRun.Run(entry, _sample, 1).Error, StringComparison.Ordinal);
        }

        Assert.Equal(0, decoder.Suspensions.SuspendedCount);
        for (var i = 0; i < 3; i++)
        {
            decoder.Decode("dec_loop", Looping, _sample, 1, new DecodedPoints());
        }

        Assert.StartsWith("decoder: timed out", dryRun.Run(entry, _sample, 1).Error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_reason_code_is_stable()
    {
        Assert.Equal("decoder_suspended", RejectReason.DecoderSuspended.Code());
        Assert.Equal(DecodeResult.SuspendedReasonCode, RejectReason.DecoderSuspended.Code());
        Assert.True(RejectReasonCodes.TryParse("decoder_suspended", out var parsed));
        Assert.Equal(RejectReason.DecoderSuspended, parsed);
    }
}
