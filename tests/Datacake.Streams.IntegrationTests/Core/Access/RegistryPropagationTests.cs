using System.Diagnostics;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.IntegrationTests.Core.RecordLog;
using Datacake.Streams.IntegrationTests.Log.Faster;
using Datacake.Streams.IntegrationTests.Log.Kafka;
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
    public async Task A_revoked_token_is_refused_by_every_view_within_two_seconds()
    {
        _log = await FasterRecordLog.OpenAsync(new FasterRecordLogOptions { DataDirectory = _directory.Path });
        var publisher = new RegistryPublisher(_log);
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

    private async Task<RegistryFeed> StartFeedAsync()
    {
        var feed = new RegistryFeed(_log!, new RegistryView(), new RegistryFeedOptions { PollTimeout = TimeSpan.FromMilliseconds(50) });
        _feeds.Add(feed);
        await feed.StartAsync();
        return feed;
    }

    private static CancellationToken Within(TimeSpan limit) => new CancellationTokenSource(limit).Token;
}
