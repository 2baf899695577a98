using System.Text;
using Datacake.Streams.Ingest.Bridge;
using Datacake.Streams.Records;

namespace Datacake.Streams.IntegrationTests.Ingest.Bridge;

/// <summary>
/// The external broker bridge against the real Mosquitto (TLS with its CA file, password) and a real FasterLog:
/// messages published by mosquitto_pub become raw records, nothing is lost across a reconnect or while the log refuses
/// appends, and bad messages are dropped without disturbing the session.
/// </summary>
public sealed class MqttBridgeTests
{
    [Fact]
    public async Task A_message_published_with_mosquitto_pub_becomes_an_anonymous_record_of_the_mapped_device()
    {
        await using var harness = await BridgeHarness.CreateAsync();
        var bridge = await harness.StartAsync();

        var payload = $$"""{"temperature":21.5,"probe":"{{Guid.NewGuid():N}}"}""";
        await harness.PublishAsync($"{harness.Prefix}/SN-1/up", payload);

        var (record, bytes) = (await harness.ReadRawAsync(1))[0];
        Assert.Equal(harness.Sensor, record.DeviceId);
        Assert.Equal(SourceKind.MqttBridge, record.Source);
        Assert.Equal(PayloadKind.JsonValues, record.PayloadKind);
        Assert.Equal(payload, Encoding.UTF8.GetString(record.Payload.Span));
        Assert.Equal(harness.Token.Hash, record.Credential);
        Assert.Equal(CredentialKind.Token, record.CredentialKind);
        Assert.StartsWith(ContentKey.Prefix, record.MessageId, StringComparison.Ordinal);
        Assert.InRange(record.ReceivedAt, DateTimeOffset.UtcNow - BridgeHarness.Deadline, DateTimeOffset.UtcNow);

        // No workspace id, token, bridge or broker credential in the bytes on the log.
        var text = Encoding.Latin1.GetString(bytes);
        Assert.DoesNotContain(BridgeHarness.WorkspaceId, text, StringComparison.Ordinal);
        Assert.DoesNotContain(harness.Token.Secret, text, StringComparison.Ordinal);
        Assert.DoesNotContain(bridge.Name, text, StringComparison.Ordinal);
        Assert.DoesNotContain(harness.Endpoints.MqttPassword, text, StringComparison.Ordinal);
        Assert.DoesNotContain(harness.Prefix, text, StringComparison.Ordinal);

        await BridgeHarness.Until(() => bridge.Counters.Appended == 1, "the append counted after its acknowledgement");

        // The logs name the bridge and never carry its secrets.
        Assert.Contains(bridge.Name, harness.Logger.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(harness.Token.Secret, harness.Logger.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(harness.Endpoints.MqttPassword, harness.Logger.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(BridgeProtocol.V500, 1)]
    [InlineData(BridgeProtocol.V311, 1)]
    [InlineData(BridgeProtocol.V500, 2)]
    [InlineData(BridgeProtocol.V311, 2)]
    public async Task Nothing_published_while_the_bridge_is_away_is_lost(BridgeProtocol protocol, int qos)
    {
        const int count = 20;
        await using var harness = await BridgeHarness.CreateAsync();
        var definition = harness.Definition with { Protocol = protocol, Qos = qos };

        // The first run makes the broker open the persistent session; then the bridge goes away.
        var first = await harness.StartAsync(definition);
        await harness.StopAsync(first);

        var payloads = Enumerable.Range(0, count).Select(i => $$"""{"n":{{i}}}""").ToList();
        foreach (var payload in payloads)
        {
            await harness.PublishAsync($"{harness.Prefix}/SN-{1 + (payloads.IndexOf(payload) % 2)}/up", payload, qos);
        }

        // Same client id: the broker hands the session, and the messages it queued, to the new connection.
        var second = await harness.StartAsync(definition);
        var records = await harness.ReadRawAsync(count);

        Assert.Equal(payloads.Order(), records.Select(r => Encoding.UTF8.GetString(r.Record.Payload.Span)).Order());
        Assert.Equal(count / 2, records.Count(r => r.Record.DeviceId == harness.Sensor));
        Assert.Equal(count / 2, records.Count(r => r.Record.DeviceId == harness.Other));
        Assert.Contains("session present: True", harness.Logger.Text, StringComparison.Ordinal);
        await BridgeHarness.Until(() => second.Counters.Appended == count, $"{count} acknowledged appends");
        Assert.True(harness.NothingMore(), "no record twice");
    }

    [Fact]
    public async Task A_message_the_log_refuses_is_not_acknowledged_and_arrives_after_the_log_recovers()
    {
        // A plain file where the topic's directory belongs: the real FasterLog cannot open dcs.raw and refuses appends.
        string? blocker = null;
        await using var harness = await BridgeHarness.CreateAsync(directory =>
        {
            blocker = Path.Combine(directory, Datacake.Streams.RecordLog.LogTopics.Raw);
            File.WriteAllText(blocker, "not a topic");
        });
        var bridge = await harness.StartAsync();

        var payload = $$"""{"refused_first":"{{Guid.NewGuid():N}}"}""";
        await harness.PublishAsync($"{harness.Prefix}/SN-1/up", payload);

        // Refused, unacknowledged, the session closed: the broker sends it again on every reconnect.
        await BridgeHarness.Until(() => bridge.Counters.LogUnavailable >= 2, "the message refused, then sent again by the broker and refused again");
        Assert.Equal(0, bridge.Counters.Appended);

        File.Delete(blocker!);

        var (record, _) = (await harness.ReadRawAsync(1))[0];
        Assert.Equal(payload, Encoding.UTF8.GetString(record.Payload.Span));
        Assert.Equal(harness.Sensor, record.DeviceId);
        await BridgeHarness.Until(() => bridge.Counters.Appended == 1, "the redelivered message appended and acknowledged");
        Assert.True(harness.NothingMore(), "one record for the one message");
        Assert.Contains("record log refused an append", harness.Logger.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unmapped_unknown_and_oversize_messages_make_no_record_and_the_session_goes_on()
    {
        await using var harness = await BridgeHarness.CreateAsync();
        var bridge = await harness.StartAsync(harness.Definition with { Topics = [harness.Prefix + "/#"], MaxPayloadBytes = 64 });

        await harness.PublishAsync($"{harness.Prefix}/SN-1/status", """{"t":1}""");
        await harness.PublishAsync($"{harness.Prefix}/SN-NOBODY/up", """{"t":2}""");
        await harness.PublishAsync($"{harness.Prefix}/SN-1/up", $$"""{"t":"{{new string('x', 64)}}"}""");
        var good = """{"t":4}""";
        await harness.PublishAsync($"{harness.Prefix}/SN-1/up", good);

        var (record, _) = (await harness.ReadRawAsync(1))[0];
        Assert.Equal(good, Encoding.UTF8.GetString(record.Payload.Span));
        Assert.True(harness.NothingMore(), "the bad messages made no record");

        Assert.Equal(1, bridge.Counters.Unmapped);
        Assert.Equal(1, bridge.Counters.UnknownDevice);
        Assert.Equal(1, bridge.Counters.PayloadTooLarge);
        await BridgeHarness.Until(() => bridge.Counters.Appended == 1, "the good message appended");

        // One session throughout: bad messages were acknowledged, not allowed to break or block it.
        Assert.Equal(1, bridge.Counters.SessionsOpened);
        Assert.Equal(BridgeState.Subscribed, bridge.State);

        // Acknowledged means the broker does not send them again to a new session either.
        await harness.StopAsync(bridge);
        var again = await harness.StartAsync(harness.Definition with { Topics = [harness.Prefix + "/#"], MaxPayloadBytes = 64 });
        await harness.PublishAsync($"{harness.Prefix}/SN-2/up", """{"t":5}""");
        var records = await harness.ReadRawAsync(2, [(record, [])]);
        Assert.Equal(harness.Other, records[1].Record.DeviceId);
        Assert.Equal(0, again.Counters.Dropped);
    }

    [Fact]
    public async Task A_bridge_whose_token_is_not_valid_does_not_connect_until_it_is()
    {
        await using var harness = await BridgeHarness.CreateAsync();
        var unknown = Datacake.Streams.Access.AccessToken.New();
        var bridge = new MqttBridge(
            harness.Definition with { Token = unknown.Secret },
            new Datacake.Streams.Ingest.Publishing.RawRecordAppender(harness.Log, harness.Signer),
            harness.Registry,
            TimeProvider.System,
            harness.Logger);
        harness.ClientIds.Add(harness.Definition.EffectiveClientId);
        await using (bridge)
        {
            bridge.Start();
            await BridgeHarness.Until(() => bridge.State == BridgeState.WaitingForCredential, "waiting for the token");
            Assert.Equal(0, bridge.Counters.SessionsOpened);

            // The registry learns the token (as a feed catching up at start-up would): the bridge connects.
            harness.Registry.Apply(new Datacake.Streams.Access.TokenUpserted(new Datacake.Streams.Access.TokenGrant
            {
                TokenId = "late", Hash = unknown.Hash, WorkspaceId = BridgeHarness.WorkspaceId, Role = Datacake.Streams.Access.WorkspaceRole.Editor,
            }));
            await BridgeHarness.Until(() => bridge.State == BridgeState.Subscribed, "subscribed once the token is known");
            Assert.DoesNotContain(unknown.Secret, harness.Logger.Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_publish_far_over_the_payload_limit_is_dropped_as_it_streams_past_and_the_session_goes_on()
    {
        await using var harness = await BridgeHarness.CreateAsync();
        var bridge = await harness.StartAsync(harness.Definition with { MaxPayloadBytes = 64 });

        // 300 KiB: past the payload limit plus the 64 KiB allowed for a topic, so the bridge never buffers it.
        await harness.PublishLargeAsync($"{harness.Prefix}/SN-1/up", 300 * 1024);
        var good = """{"after_the_large_one":1}""";
        await harness.PublishAsync($"{harness.Prefix}/SN-1/up", good);

        var (record, _) = (await harness.ReadRawAsync(1))[0];
        Assert.Equal(good, Encoding.UTF8.GetString(record.Payload.Span));
        await BridgeHarness.Until(() => bridge.Counters.Appended == 1, "the good message acknowledged");
        Assert.Equal(1, bridge.Counters.PayloadTooLarge);

        // Acknowledged, not redelivered: the one session the bridge opened is the one it still has.
        Assert.Equal(1, bridge.Counters.SessionsOpened);
        Assert.True(harness.NothingMore(), "nothing but the good message");
    }

    [Fact]
    public async Task Several_connections_share_the_subscription_and_bridge_every_message_once()
    {
        const int count = 24;
        await using var harness = await BridgeHarness.CreateAsync();
        var definition = harness.Definition with { Connections = 3 };
        var bridge = await harness.StartAsync(definition);
        await BridgeHarness.Until(() => bridge.Counters.SessionsOpened == 3, "three subscribed sessions");

        var payloads = Enumerable.Range(0, count).Select(i => $$"""{"n":{{i}}}""").ToList();
        for (var i = 0; i < count; i++)
        {
            await harness.PublishAsync($"{harness.Prefix}/SN-{1 + (i % 2)}/up", payloads[i]);
        }

        var records = await harness.ReadRawAsync(count);
        Assert.Equal(payloads.Order(), records.Select(r => Encoding.UTF8.GetString(r.Record.Payload.Span)).Order());
        await BridgeHarness.Until(() => bridge.Counters.Appended == count, $"{count} acknowledged appends");
        Assert.True(harness.NothingMore(), "no message bridged twice by two connections");
        for (var i = 1; i <= 3; i++)
        {
            Assert.Contains($"as {definition.EffectiveClientId}-{i} ", harness.Logger.Text, StringComparison.Ordinal);
        }

        Assert.Contains($"$share/dcs-{definition.Name}/{harness.Prefix}/+/up", harness.Logger.Text, StringComparison.Ordinal);
    }
}
