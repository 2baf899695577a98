using System.Security.Cryptography;
using Datacake.Streams.Access;
using Datacake.Streams.IntegrationTests.Log.Kafka;
using Datacake.Streams.Log.Kafka;
using Datacake.Streams.RecordLog;
using Datacake.Streams.TestSupport;

namespace Datacake.Streams.IntegrationTests.Core.Access;

/// <summary>
/// A forged registry record produced straight to <c>dcs.registry</c> on Kafka (librdkafka's mock cluster, a cluster of
/// its own) grants nothing on any node that reads it, and is counted; the publisher's signed change applies.
/// </summary>
public sealed class RegistryAuthenticationKafkaTests : IAsyncDisposable
{
    private static readonly TimeSpan _propagationLimit = TimeSpan.FromSeconds(2);
    private readonly KafkaMockCluster _kafka = new();
    private readonly List<RegistryFeed> _feeds = [];
    private KafkaRecordLog? _log;

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

        _kafka.Dispose();
    }

    [Fact]
    public async Task A_forged_record_produced_to_kafka_changes_no_view_and_is_counted()
    {
        _kafka.CreateTopic(LogTopics.Registry, KafkaMockCluster.DefaultPartitions);
        _kafka.SetInitialRebalanceDelay(TimeSpan.FromMilliseconds(100));
        _log = new KafkaRecordLog(_kafka.LogOptions());
        var publisher = TestRegistry.Publisher(_log);
        var victim = AccessToken.New();
        await publisher.PublishAsync(new TokenUpserted(new TokenGrant { TokenId = "t_victim", Hash = victim.Hash, WorkspaceId = "ws_victim", Role = WorkspaceRole.Owner }));

        var attacker = AccessToken.New();
        var forged = new TokenUpserted(new TokenGrant { TokenId = "t_attacker", Hash = attacker.Hash, WorkspaceId = "ws_victim", Role = WorkspaceRole.Owner });
        var forger = new RegistryChangeCodec(new RegistryMac(RandomNumberGenerator.GetBytes(32)));
        await _log.AppendAsync(LogTopics.Registry, RegistryChangeCodec.EncodeKey(forged), TestRegistry.Codec().EncodeValue(forged)[RegistryMac.MacLength..]);
        await _log.AppendAsync(LogTopics.Registry, RegistryChangeCodec.EncodeKey(forged), forger.EncodeValue(forged));
        await _log.AppendAsync(LogTopics.Registry, "token:t_victim"u8.ToArray(), forger.EncodeValue(new TokenRemoved("t_victim")));

        var nodes = new[] { await StartFeedAsync(), await StartFeedAsync() };
        foreach (var feed in nodes)
        {
            await feed.WaitUntilCaughtUpAsync(Within(TimeSpan.FromSeconds(30)));
            Assert.Equal(AuthenticationResult.Unknown, feed.View.Authenticate(attacker.Secret, out _));
            Assert.Equal(AuthenticationResult.Ok, feed.View.Authenticate(victim.Secret, out var kept));
            Assert.Equal(WorkspaceRole.Owner, kept!.Role);
            Assert.Equal(3, feed.Rejected);
        }

        var position = await publisher.PublishAsync(forged);
        await Task.WhenAll(nodes.Select(feed => feed.WaitForAsync(position, Within(_propagationLimit))));
        Assert.All(nodes, feed => Assert.Equal(AuthenticationResult.Ok, feed.View.Authenticate(attacker.Secret, out _)));
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
