using System.Diagnostics;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.IntegrationTests.Core.RecordLog;
using Datacake.Streams.IntegrationTests.Log.Faster;
using Datacake.Streams.IntegrationTests.Log.Kafka;
using Datacake.Streams.RecordLog;
using Datacake.Streams.RecordLog.Faster;
using Datacake.Streams.TestSupport;

namespace Datacake.Streams.IntegrationTests.Core.Access;

/// <summary>
/// The registry promise on a real log (FasterLog on disk): a revoked token is refused by another node's view within
/// 2 s, records received before the revocation still pass, and a view started later rebuilds the revoked state.
/// </summary>
public sealed class RegistryPropagationTests : IAsyncDisposable
{
    private static readonly TimeSpan _propagationLimit = TimeSpan.FromSeconds(2);
    private readonly TempLogDirectory _directory = new();
    private readonly List<RegistryFeed> _feeds = [];
    private FasterRecordLog? _log;

    public async ValueTask DisposeAsync()
    {
        foreach (var feed in _feeds)
        {
            await feed.DisposeAsync();
        }

        if (_log is not null)
        {
            await _log.DisposeAsync();
        }

        _directory.Dispose();
    }

    [Fact]
    [Trait("Reliability", "revocation")]
    public async Task A_revoked_token_is_refused_by_every_view_within_two_seconds()
    {
        _log = await FasterRecordLog.OpenAsync(new FasterRecordLogOptions { DataDirectory = _directory.Path });
        var publisher = TestRegistry.Publisher(_log);
        var token = AccessToken.New();
        var device = DeviceId.New();
        var grant = new TokenGrant { TokenId = "t1", Hash = token.Hash, WorkspaceId = "ws", Devices = [new DeviceGrant(device, DeviceAccess.ReadWrite)] };
        await publisher.PublishAsync(new WorkspaceUpserted(new WorkspaceEntry("ws", null)));
        await publisher.PublishAsync(new DeviceUpserted(new DeviceEntry { Id = device, WorkspaceId = "ws" }));
        await publisher.PublishAsync(new TokenUpserted(grant));

        var ingest = await StartFeedAsync();
        var processing = await StartFeedAsync();
        foreach (var feed in new[] { ingest, processing })
        {
            await feed.WaitUntilCaughtUpAsync(Within(TimeSpan.FromSeconds(30)));
            Assert.Equal(AuthenticationResult.Ok, feed.View.Authenticate(token.Secret, out var g));
            Assert.True(feed.View.CanWrite(g!, device));
        }

        var revokedAt = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        await publisher.PublishAsync(new TokenUpserted(new TokenGrant
        {
            TokenId = "t1", Hash = token.Hash, WorkspaceId = "ws", Devices = grant.Devices, RevokedAt = revokedAt,
        }));
        await Task.WhenAll(
            ingest.WaitUntilAsync(v => v.Authenticate(token.Secret, out _) == AuthenticationResult.Revoked, Within(_propagationLimit)),
            processing.WaitUntilAsync(v => v.Authenticate(token.Secret, out _) == AuthenticationResult.Revoked, Within(_propagationLimit)));
        Assert.True(clock.Elapsed < _propagationLimit, $"took {clock.Elapsed}");

        Assert.Equal(AuthenticationResult.Ok, processing.View.AuthorizeWrite(token.Hash, device, revokedAt.AddMilliseconds(-1)));
        Assert.Equal(AuthenticationResult.Revoked, processing.View.AuthorizeWrite(token.Hash, device, revokedAt));

        // A node started after the fact rebuilds the same state from the log.
        var late = await StartFeedAsync();
        await late.WaitUntilCaughtUpAsync(Within(TimeSpan.FromSeconds(30)));
        Assert.Equal(AuthenticationResult.Revoked, late.View.Authenticate(token.Secret, out _));
    }

    [Fact]
    public async Task A_forged_registry_record_on_the_log_changes_nothing_and_is_counted()
    {
        _log = await FasterRecordLog.OpenAsync(new FasterRecordLogOptions { DataDirectory = _directory.Path });
        var publisher = TestRegistry.Publisher(_log);
        var victim = AccessToken.New();
        await publisher.PublishAsync(new WorkspaceUpserted(new WorkspaceEntry("ws_victim", null)));
        await publisher.PublishAsync(new TokenUpserted(new TokenGrant { TokenId = "t_victim", Hash = victim.Hash, WorkspaceId = "ws_victim", Role = WorkspaceRole.Owner }));

        // Whoever can append to the topic but holds no registry key: an Owner token with a hash it knows, unsigned and
        // signed with a key of its own, and a removal of the victim's token.
        var attacker = AccessToken.New();
        var forged = new TokenUpserted(new TokenGrant { TokenId = "t_attacker", Hash = attacker.Hash, WorkspaceId = "ws_victim", Role = WorkspaceRole.Owner });
        var forger = new RegistryChangeCodec(new RegistryMac(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        await _log.AppendAsync(LogTopics.Registry, RegistryChangeCodec.EncodeKey(forged), TestRegistry.Codec().EncodeValue(forged)[RegistryMac.MacLength..]);
        await _log.AppendAsync(LogTopics.Registry, RegistryChangeCodec.EncodeKey(forged), forger.EncodeValue(forged));
        await _log.AppendAsync(LogTopics.Registry, "token:t_victim"u8.ToArray(), forger.EncodeValue(new TokenRemoved("t_victim")));

        var early = await StartFeedAsync();
        await early.WaitUntilCaughtUpAsync(Within(TimeSpan.FromSeconds(30)));
        var last = await _log.AppendAsync(LogTopics.Registry, "token:t_victim"u8.ToArray(), ReadOnlyMemory<byte>.Empty);
        await early.WaitForAsync(last, Within(_propagationLimit));
        var late = await StartFeedAsync();
        await late.WaitUntilCaughtUpAsync(Within(TimeSpan.FromSeconds(30)));
        foreach (var feed in new[] { early, late })
        {
            Assert.Equal(AuthenticationResult.Unknown, feed.View.Authenticate(attacker.Secret, out _));
            Assert.Equal(AuthenticationResult.Ok, feed.View.Authenticate(victim.Secret, out var kept));
            Assert.Equal(WorkspaceRole.Owner, kept!.Role);
            Assert.Equal(4, feed.Rejected);
        }

        // The same grant from the publisher (signed with the cluster's key) applies on every view.
        var position = await publisher.PublishAsync(forged);
        await Task.WhenAll(early.WaitForAsync(position, Within(_propagationLimit)), late.WaitForAsync(position, Within(_propagationLimit)));
        Assert.Equal(AuthenticationResult.Ok, early.View.Authenticate(attacker.Secret, out _));
        Assert.Equal(AuthenticationResult.Ok, late.View.Authenticate(attacker.Secret, out _));
        Assert.Equal(4, late.Rejected);
    }

    private async Task<RegistryFeed> StartFeedAsync()
    {
        var feed = new RegistryFeed(_log!, new RegistryView(), TestRegistry.Codec(), new RegistryFeedOptions { PollTimeout = TimeSpan.FromMilliseconds(50) });
        _feeds.Add(feed);
        await feed.StartAsync();
        return feed;
    }

    private static CancellationToken Within(TimeSpan limit) => new CancellationTokenSource(limit).Token;
}
