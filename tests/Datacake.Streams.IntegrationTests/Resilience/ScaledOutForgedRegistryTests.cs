using System.Net;
using System.Security.Cryptography;
using Datacake.Streams.Access;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.IntegrationTests.Api.Access;
using Datacake.Streams.IntegrationTests.EndToEnd;
using Datacake.Streams.IntegrationTests.Services;
using Datacake.Streams.Log.Kafka;
using Datacake.Streams.RecordLog;
using Datacake.Streams.TestSupport;

namespace Datacake.Streams.IntegrationTests.Resilience;

/// <summary>
/// Issue 17 on Kafka, two real executables (an api node and an ingest node, librdkafka's mock cluster): registry
/// records produced straight to <c>dcs.registry</c> by a producer without the cluster's registry key change nothing on
/// either node, and each node counts them; a change the api node publishes afterwards applies on both.
/// </summary>
[Collection(ResilienceCollection.Name)]
public sealed class ScaledOutForgedRegistryTests
{
    [Fact]
    public async Task Registry_records_forged_onto_kafka_change_nothing_on_any_node_and_every_node_counts_them()
    {
        var probe = new InfluxProbe("forged_" + Guid.NewGuid().ToString("N")[..12]);
        using var nodes = ScaledOutNodes.ForDatabase(probe.Database);
        var operatorToken = AccessToken.New().Secret;
        var asOperator = new Dictionary<string, string> { ["DCS_OPERATOR_TOKEN"] = operatorToken };
        var apiStart = nodes.StartNodeAsync("api", extra: asOperator);
        var ingestStart = nodes.StartNodeAsync("ingest", extra: asOperator);
        try
        {
            // Inside the try: both nodes stop before the database is dropped. influxd 1.6 can hang a DROP DATABASE
            // that meets a node's running DELETE or SELECT … INTO (the rollup refresher; CI met a 100 s hang).
            await using var apiNode = await apiStart;
            await using var ingestNode = await ingestStart;
            var api = new ApiClient(apiNode.Http);
            var owner = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", operatorToken, new { email = $"owner-{Guid.NewGuid():N}@example.test" })).Str("token");
            var workspace = (await api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", owner)).Str("homeWorkspaceId");
            var id = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/devices", owner, new { name = "guarded meter" })).Str("id");
            var issued = await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/devices/{id}/tokens", owner);
            var device = new TestDevice(id, issued.Str("id"), issued.Str("token"));
            await Senders.AcceptedAsync(() => Senders.MeasurementAsync(ingestNode.Http, device, UplinkBodies.Reading(DateTimeOffset.UtcNow, 1)), "the device token at the ingest node");

            var attacker = AccessToken.New();
            var grant = new TokenUpserted(new TokenGrant { TokenId = "tok_forged", Hash = attacker.Hash, WorkspaceId = workspace, Role = WorkspaceRole.Owner });
            var forger = new RegistryChangeCodec(new RegistryMac(RandomNumberGenerator.GetBytes(32)));
            var removal = new TokenRemoved(device.TokenId);
            await using (var log = new KafkaRecordLog(nodes.Kafka.LogOptions()))
            {
                await log.AppendAsync(LogTopics.Registry, RegistryChangeCodec.EncodeKey(grant), TestRegistry.Codec().EncodeValue(grant)[RegistryMac.MacLength..]);
                await log.AppendAsync(LogTopics.Registry, RegistryChangeCodec.EncodeKey(grant), forger.EncodeValue(grant));
                await log.AppendAsync(LogTopics.Registry, RegistryChangeCodec.EncodeKey(removal), forger.EncodeValue(removal));
            }

            foreach (var node in new[] { apiNode, ingestNode })
            {
                await Until.Async(() => Task.FromResult(ForgeryEvidence.RefusalLines(node.Output)), n => n >= 3, "log lines");
                await ForgeryEvidence.AssertRefusedAsync(node, atLeast: 3);
                Assert.Equal(3, ForgeryEvidence.RefusalLines(node.Output));
            }

            Assert.Equal(HttpStatusCode.Unauthorized, (await Senders.MeasurementAsync(ingestNode.Http, device with { Token = attacker.Secret }, UplinkBodies.Reading(DateTimeOffset.UtcNow, 2))).Status);
            Assert.Equal(HttpStatusCode.Unauthorized, (await api.SendAsync(HttpMethod.Get, $"/v1/workspaces/{workspace}", attacker.Secret)).Status);
            Assert.Equal(HttpStatusCode.Accepted, (await Senders.MeasurementAsync(ingestNode.Http, device, UplinkBodies.Reading(DateTimeOffset.UtcNow, 3))).Status);

            // The real publisher's change after the forgeries still reaches the other node: revoking the device token.
            await api.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/v1/tokens/{device.TokenId}", owner);
            await Until.Async(
                () => Senders.MeasurementAsync(ingestNode.Http, device, UplinkBodies.Reading(DateTimeOffset.UtcNow, 4)),
                answer => answer.Status == HttpStatusCode.Unauthorized,
                "the ingest node refusing the token the api node revoked");
        }
        finally
        {
            await probe.DropDatabaseAsync();
        }
    }
}
