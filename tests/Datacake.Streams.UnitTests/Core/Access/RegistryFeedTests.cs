using System.Diagnostics;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.RecordLog;
using Datacake.Streams.TestSupport;

namespace Datacake.Streams.UnitTests.Core.Access;

public sealed class RegistryFeedTests : IAsyncDisposable
{
    // The promise: a revoked token is refused by every node within 2 s.
    private static readonly TimeSpan _propagationLimit = TimeSpan.FromSeconds(2);

    private readonly InMemoryRecordLog _log = new(partitions: 4);
    private readonly RegistryPublisher _publisher;
    private readonly List<RegistryFeed> _feeds = [];

    public RegistryFeedTests() => _publisher = TestRegistry.Publisher(_log);

    public async ValueTask DisposeAsync()
    {
        foreach (var feed in _feeds)
        {
            await feed.DisposeAsync();
        }
    }

    private async Task<RegistryFeed> StartFeedAsync(RegistryFeedOptions? options = null)
    {
        var feed = new RegistryFeed(_log, new RegistryView(), TestRegistry.Codec(), options ?? new RegistryFeedOptions { PollTimeout = TimeSpan.FromMilliseconds(50) });
        _feeds.Add(feed);
        await feed.StartAsync();
        return feed;
    }

    private static CancellationToken Within(TimeSpan limit) => new CancellationTokenSource(limit).Token;

    [Fact]
    public async Task A_catch_up_round_applies_every_change_appended_before_it_and_misses_of_one_moment_share_it()
    {
        var feed = await StartFeedAsync();
        await feed.WaitUntilCaughtUpAsync(Within(TimeSpan.FromSeconds(10)));
        var token = AccessToken.New();
        await _publisher.PublishAsync(new TokenUpserted(new TokenGrant { TokenId = "fresh", Hash = token.Hash, WorkspaceId = "ws", Role = WorkspaceRole.Editor }));

        // A processor that missed the token now asks for a round: when it completes, the view holds the token, and the
        // round appended and read one barrier per partition.
        var since = feed.GetTimestamp();
        var readBefore = feed.RecordsRead;
        var first = feed.CatchUpAsync(since, Within(TimeSpan.FromSeconds(10)));
        var second = feed.CatchUpAsync(since, Within(TimeSpan.FromSeconds(10)));
        await Task.WhenAll(first, second);

        Assert.Equal(AuthenticationResult.Ok, feed.View.Authenticate(token.Secret, out _));
        Assert.True(feed.RecordsRead - readBefore >= 4, "the round read no barriers");

        // Another miss from the same moment is answered by that round, at once, with nothing appended.
        var readAfterRound = feed.RecordsRead;
        var shared = feed.CatchUpAsync(since, Within(TimeSpan.FromSeconds(10)));
        Assert.True(shared.IsCompletedSuccessfully);
        Assert.Equal(readAfterRound, feed.RecordsRead);

        // A miss after that round began needs a round of its own.
        var readAfterFirst = feed.RecordsRead;
        await feed.CatchUpAsync(feed.GetTimestamp(), Within(TimeSpan.FromSeconds(10)));
        Assert.True(feed.RecordsRead - readAfterFirst >= 4, "a later miss did not get a round of its own");
    }

    [Fact]
    public async Task A_starting_feed_is_caught_up_only_after_applying_everything_already_in_the_log()
    {
        var tokens = new List<AccessToken>();
        for (var i = 0; i < 500; i++)
        {
            var token = AccessToken.New();
            tokens.Add(token);
            await _publisher.PublishAsync(new TokenUpserted(new TokenGrant { TokenId = $"t{i}", Hash = token.Hash, WorkspaceId = "ws", Role = WorkspaceRole.Viewer }));
        }

        await _publisher.PublishAsync(new TokenRemoved("t7"));

        var feed = await StartFeedAsync();
        await feed.WaitUntilCaughtUpAsync(Within(TimeSpan.FromSeconds(10)));

        Assert.True(feed.IsCaughtUp);
        Assert.Equal(499, feed.View.TokenCount);
        Assert.Equal(AuthenticationResult.Ok, feed.View.Authenticate(tokens[499].Secret, out _));
        Assert.Equal(AuthenticationResult.Unknown, feed.View.Authenticate(tokens[7].Secret, out _));
        Assert.Null(feed.LastError);
    }

    [Fact]
    public async Task An_empty_registry_is_caught_up_at_once()
    {
        var feed = await StartFeedAsync();
        await feed.WaitUntilCaughtUpAsync(Within(TimeSpan.FromSeconds(5)));
        Assert.Equal(0, feed.View.TokenCount);
        Assert.True(feed.RecordsRead >= 4, "one barrier per partition was read");
    }

    [Fact]
    public async Task A_revocation_reaches_two_nodes_within_two_seconds()
    {
        var token = AccessToken.New();
        var device = DeviceId.New();
        var grant = new TokenGrant { TokenId = "t1", Hash = token.Hash, WorkspaceId = "ws", Devices = [new DeviceGrant(device, DeviceAccess.ReadWrite)] };
        await _publisher.PublishAsync(new DeviceUpserted(new DeviceEntry { Id = device, WorkspaceId = "ws" }));
        await _publisher.PublishAsync(new TokenUpserted(grant));

        var ingest = await StartFeedAsync();
        var processing = await StartFeedAsync();
        await Task.WhenAll(ingest.WaitUntilCaughtUpAsync(Within(TimeSpan.FromSeconds(10))), processing.WaitUntilCaughtUpAsync(Within(TimeSpan.FromSeconds(10))));
        foreach (var feed in new[] { ingest, processing })
        {
            Assert.Equal(AuthenticationResult.Ok, feed.View.Authenticate(token.Secret, out var g));
            Assert.True(feed.View.CanWrite(g!, device));
        }

        var revokedAt = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        await _publisher.PublishAsync(new TokenUpserted(new TokenGrant
        {
            TokenId = "t1", Hash = token.Hash, WorkspaceId = "ws", Devices = grant.Devices, RevokedAt = revokedAt,
        }));

        await Task.WhenAll(
            ingest.WaitUntilAsync(v => v.Authenticate(token.Secret, out _) == AuthenticationResult.Revoked, Within(_propagationLimit)),
            processing.WaitUntilAsync(v => v.Authenticate(token.Secret, out _) == AuthenticationResult.Revoked, Within(_propagationLimit)));
        Assert.True(clock.Elapsed < _propagationLimit, $"took {clock.Elapsed}");

        // A record received before the revocation still passes on the processing node; one after does not.
        Assert.Equal(AuthenticationResult.Ok, processing.View.AuthorizeWrite(token.Hash, device, revokedAt.AddMilliseconds(-1)));
        Assert.Equal(AuthenticationResult.Revoked, processing.View.AuthorizeWrite(token.Hash, device, revokedAt));
    }

    [Fact]
    public async Task Waiting_for_a_published_position_gives_read_your_writes()
    {
        var feed = await StartFeedAsync();
        await feed.WaitUntilCaughtUpAsync(Within(TimeSpan.FromSeconds(5)));
        for (var i = 0; i < 20; i++)
        {
            var token = AccessToken.New();
            var position = await _publisher.PublishAsync(new TokenUpserted(new TokenGrant { TokenId = $"t{i}", Hash = token.Hash }));
            await feed.WaitForAsync(position, Within(_propagationLimit));
            Assert.True(feed.HasApplied(position));
            Assert.Equal(AuthenticationResult.Ok, feed.View.Authenticate(token.Secret, out _));
        }

        Assert.False(feed.HasApplied(new LogPosition(0, long.MaxValue)));
        Assert.False(feed.HasApplied(new LogPosition(99, 0)));
    }

    [Fact]
    public async Task An_unreadable_record_removes_its_entity_and_is_counted()
    {
        var token = AccessToken.New();
        await _publisher.PublishAsync(new TokenUpserted(new TokenGrant { TokenId = "t1", Hash = token.Hash }));
        var feed = await StartFeedAsync();
        await feed.WaitUntilCaughtUpAsync(Within(TimeSpan.FromSeconds(5)));
        Assert.Equal(AuthenticationResult.Ok, feed.View.Authenticate(token.Secret, out _));

        var position = await _log.AppendAsync(LogTopics.Registry, "token:t1"u8.ToArray(), TestRegistry.Mac.Sign("token:t1"u8, "{not json"u8));
        await feed.WaitForAsync(position, Within(_propagationLimit));
        Assert.Equal(AuthenticationResult.Unknown, feed.View.Authenticate(token.Secret, out _));
        Assert.Equal(1, feed.CorruptRecords);
        Assert.Equal(0, feed.Rejected);
    }

    [Fact]
    public async Task An_unsigned_or_forged_record_changes_nothing_and_is_counted()
    {
        var token = AccessToken.New();
        await _publisher.PublishAsync(new TokenUpserted(new TokenGrant { TokenId = "t1", Hash = token.Hash, WorkspaceId = "ws", Role = WorkspaceRole.Viewer }));
        var feed = await StartFeedAsync();
        await feed.WaitUntilCaughtUpAsync(Within(TimeSpan.FromSeconds(5)));

        var attacker = AccessToken.New();
        var forger = new RegistryChangeCodec(new RegistryMac(new byte[32]));
        var owner = new TokenUpserted(new TokenGrant { TokenId = "t2", Hash = attacker.Hash, WorkspaceId = "ws", Role = WorkspaceRole.Owner });
        await _log.AppendAsync(LogTopics.Registry, RegistryChangeCodec.EncodeKey(owner), forger.EncodeValue(owner));
        await _log.AppendAsync(LogTopics.Registry, "token:t1"u8.ToArray(), ReadOnlyMemory<byte>.Empty);
        var last = await _log.AppendAsync(LogTopics.Registry, "token:t1"u8.ToArray(), forger.EncodeValue(new TokenRemoved("t1")));
        await feed.WaitForAsync(last, Within(_propagationLimit));

        Assert.Equal(3, feed.Rejected);
        Assert.Equal(AuthenticationResult.Unknown, feed.View.Authenticate(attacker.Secret, out _));
        Assert.Equal(AuthenticationResult.Ok, feed.View.Authenticate(token.Secret, out var kept));
        Assert.Equal(WorkspaceRole.Viewer, kept!.Role);
    }

    [Fact]
    public async Task A_failing_log_is_retried_and_the_error_kept()
    {
        _log.FailNextConsumes(3);
        var feed = await StartFeedAsync(new RegistryFeedOptions { PollTimeout = TimeSpan.FromMilliseconds(50), RetryDelay = TimeSpan.FromMilliseconds(10) });
        await feed.WaitUntilCaughtUpAsync(Within(TimeSpan.FromSeconds(5)));
        Assert.IsType<RecordLogUnavailableException>(feed.LastError);
    }

    [Fact]
    public async Task A_feed_goes_on_after_any_failure_not_only_an_unavailable_log()
    {
        // A cancellation that is not the feed's own stopping ended its thread before: the node then refused every new
        // token and kept every revoked one, looking healthy.
        _log.FailNextConsumes(2, () => new OperationCanceledException("a consumer's own cancellation"));
        var feed = await StartFeedAsync(new RegistryFeedOptions { PollTimeout = TimeSpan.FromMilliseconds(50), RetryDelay = TimeSpan.FromMilliseconds(10) });
        await feed.WaitUntilCaughtUpAsync(Within(TimeSpan.FromSeconds(5)));
        Assert.IsType<OperationCanceledException>(feed.LastError);
        Assert.Equal(2, feed.Failures);
        Assert.True(feed.IsRunning);

        // The next read fails (the loop may be inside a read now: the failure is waited for, not assumed).
        _log.FailNextConsumes(1, () => new InvalidOperationException("anything else"));
        Assert.True(SpinWait.SpinUntil(() => feed.Failures == 3, TestDeadline.Wait), $"failures: {feed.Failures}");
        var token = AccessToken.New();
        var position = await _publisher.PublishAsync(new TokenUpserted(new TokenGrant { TokenId = "after-failures", Hash = token.Hash }));
        await feed.WaitForAsync(position, Within(TimeSpan.FromSeconds(5)));
        Assert.Equal(AuthenticationResult.Ok, feed.View.Authenticate(token.Secret, out _));
        Assert.True(feed.IsRunning);
        Assert.IsType<InvalidOperationException>(feed.LastError);
    }

    [Fact]
    public async Task A_revocation_that_fails_to_apply_is_retried_not_skipped_and_the_feed_says_so_meanwhile()
    {
        // The consumer has moved past a change it could not apply: skipped, a revoked token would stay valid on this
        // node until a restart.
        var token = AccessToken.New();
        await _publisher.PublishAsync(new TokenUpserted(new TokenGrant { TokenId = "revoked", Hash = token.Hash, WorkspaceId = "ws", Role = WorkspaceRole.Editor }));
        var feed = await StartFeedAsync(new RegistryFeedOptions { PollTimeout = TimeSpan.FromMilliseconds(50), RetryDelay = TimeSpan.FromMilliseconds(10) });
        await feed.WaitUntilCaughtUpAsync(Within(TimeSpan.FromSeconds(5)));

        var unreadable = _log.MakeNextValueUnreadable();
        var revocation = await _publisher.PublishAsync(new TokenRemoved("revoked"));
        Assert.True(SpinWait.SpinUntil(() => unreadable.Refusals >= 3, TestDeadline.Wait), $"refusals: {unreadable.Refusals}");
        Assert.Equal(revocation, feed.StuckAt);
        Assert.True(feed.IsRunning);
        Assert.Equal(AuthenticationResult.Ok, feed.View.Authenticate(token.Secret, out _));

        unreadable.Broken = false;
        await feed.WaitForAsync(revocation, Within(TimeSpan.FromSeconds(5)));
        Assert.Equal(AuthenticationResult.Unknown, feed.View.Authenticate(token.Secret, out _));
        Assert.Null(feed.StuckAt);
        Assert.True(feed.Failures >= 3);
    }

    [Fact]
    public async Task Each_feed_has_a_group_of_its_own()
    {
        var first = await StartFeedAsync();
        var second = await StartFeedAsync();
        Assert.NotEqual(first.ConsumerGroup, second.ConsumerGroup);
        Assert.StartsWith("dcs-registry-view-", first.ConsumerGroup, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => first.StartAsync());

        await using var named = new RegistryFeed(_log, new RegistryView(), TestRegistry.Codec(), new RegistryFeedOptions { ConsumerGroup = "node-1" });
        Assert.Equal("node-1", named.ConsumerGroup);
    }
}
