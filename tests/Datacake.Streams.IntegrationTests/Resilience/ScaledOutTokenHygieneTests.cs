using System.Net;
using System.Text;
using Confluent.Kafka;
using Datacake.Streams.Access;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.IntegrationTests.Api.Access;
using Datacake.Streams.IntegrationTests.EndToEnd;
using Datacake.Streams.IntegrationTests.Host.Hosting;
using Datacake.Streams.IntegrationTests.Services;
using Datacake.Streams.TestSupport.Reliability;

namespace Datacake.Streams.IntegrationTests.Resilience;

/// <summary>
/// Token hygiene on a scaled-out installation: an api node and an ingest+process node (real executables) over
/// librdkafka's mock cluster. Every secret the test issued (operator, user, role, device and webhook tokens, webhook
/// signing secrets before and after a rotation, as text and as key bytes), each of them used, is searched for in every
/// record of every Kafka topic (keys, values, headers), both nodes' data folders and both nodes' output: 0 found.
/// </summary>
[Collection(ResilienceCollection.Name)]
public sealed class ScaledOutTokenHygieneTests
{
    [Fact]
    [Trait("Reliability", "token-hygiene")]
    public async Task No_issued_secret_is_in_any_kafka_topic_data_folder_or_output_of_a_scaled_out_installation()
    {
        var probe = new InfluxProbe("hygiene_" + Guid.NewGuid().ToString("N")[..12]);
        using var nodes = ScaledOutNodes.ForDatabase(probe.Database);
        var operatorToken = AccessToken.New().Secret;
        var debug = new Dictionary<string, string>
        {
            ["DCS_OPERATOR_TOKEN"] = operatorToken,

            // As much of our own logging as there is: a secret in any log line would show.
            ["Logging__LogLevel__Datacake"] = "Debug",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Information",
        };
        var apiStart = nodes.StartNodeAsync("api", extra: debug);
        var workerStart = nodes.StartNodeAsync("ingest,process", extra: debug);
        var secrets = new List<string> { operatorToken };
        var signingKeys = new List<byte[]>();
        string apiData, workerData, output;
        var records = new List<(string Where, byte[] Bytes)>();
        try
        {
            await using (var apiNode = await apiStart)
            await using (var worker = await workerStart)
            {
                apiData = apiNode.DataDirectory;
                workerData = worker.DataDirectory;
                var api = new ApiClient(apiNode.Http);
                var owner = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", operatorToken, new { email = $"owner-{Guid.NewGuid():N}@example.test" })).Str("token");
                var workspace = (await api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", owner)).Str("homeWorkspaceId");
                var admin = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/tokens", owner, new { name = "admin", role = "admin" })).Str("token");
                var id = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/devices", admin, new { name = "hygienic meter", devEui = "70B3D57ED0051818" })).Str("id");
                var issued = await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/devices/{id}/tokens", admin);
                var device = new TestDevice(id, issued.Str("id"), issued.Str("token"));
                var readWrite = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/tokens", owner, new { name = "rw", devices = new[] { new { id, access = "read-write" } } })).Str("token");
                var created = await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/webhooks", owner, new { kind = "tts", devices = new[] { id }, signed = true });
                var webhook = new TestWebhook(created.Str("id"), created.Str("token"), created.Str("secret"));
                secrets.AddRange([owner, admin, device.Token, readWrite, webhook.Token, webhook.Secret!]);
                signingKeys.Add(RecordAllowListTests.SigningKey(webhook.Secret!));

                // Each credential used where it travels: HTTP ingest, MQTT CONNECT, the webhook, the API.
                var time = DateTimeOffset.UtcNow.AddMinutes(-1);
                await Senders.AcceptedAsync(() => Senders.MeasurementAsync(worker.Http, device, UplinkBodies.Reading(time, 1)), "the device token at the ingest node");
                // Created after the device token: the ingest node may not have it yet when that one passes.
                await Senders.AcceptedAsync(() => Senders.MeasurementAsync(worker.Http, device, UplinkBodies.Reading(time.AddSeconds(1), 2), token: readWrite), "the read-write token at the ingest node");
                await using (var mqtt = await MqttWire.ConnectAcceptedAsync(worker.MqttPort, "hygiene-" + Guid.NewGuid().ToString("N")[..8], device.Token, cleanSession: true))
                {
                    await mqtt.PublishQos1Async($"devices/{id}/measurements", UplinkBodies.Reading(time.AddSeconds(2), 3), packetId: 1);
                }

                var uplink = UplinkBodies.Tts("70B3D57ED0051818", "session-1", 4, time.AddSeconds(3), 4.5, 40);
                await Senders.AcceptedAsync(() => Senders.WebhookAsync(worker.Http, webhook, uplink), "the signed webhook");
                var rotated = await api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/webhooks/{webhook.Id}/rotate", owner, new { token = true, secret = true, overlapSeconds = 60 });
                var next = webhook with { Token = rotated.Str("token"), Secret = rotated.Str("secret") };
                secrets.AddRange([next.Token, next.Secret!]);
                signingKeys.Add(RecordAllowListTests.SigningKey(next.Secret!));
                await Senders.AcceptedAsync(
                    () => Senders.WebhookAsync(worker.Http, next, UplinkBodies.Tts("70B3D57ED0051818", "session-1", 5, time.AddSeconds(4), 5.5, 40)),
                    "the signed webhook after its rotation");

                // Processed through the log and InfluxDB: the api node answers the last point.
                await Until.Async(
                    () => api.GetAsync($"/v1/devices/{id}/last", owner),
                    answer => answer.Status == HttpStatusCode.OK && answer.Body.Contains("5.5", StringComparison.Ordinal),
                    "the last uplink stored and answered by the api node");

                records.AddRange(EveryKafkaRecord(nodes.Kafka.BootstrapServers));
                Assert.True(await apiNode.TerminateAsync(TimeSpan.FromSeconds(30)), "the api node did not stop on SIGTERM");
                Assert.True(await worker.TerminateAsync(TimeSpan.FromSeconds(30)), "the worker node did not stop on SIGTERM");
                output = apiNode.Output + "\n" + worker.Output;

                // The scans see what they look for: dcs.raw's records carry the bodies' payload, the registry the webhook.
                Assert.Contains(records, r => r.Where.StartsWith("dcs.raw/", StringComparison.Ordinal) && Encoding.UTF8.GetString(r.Bytes).Contains("\"sequence\":", StringComparison.Ordinal));
                Assert.Contains(records, r => r.Where.StartsWith("dcs.registry/", StringComparison.Ordinal) && Encoding.UTF8.GetString(r.Bytes).Contains(webhook.Id, StringComparison.Ordinal));
                Assert.Contains("\"Timestamp\"", output, StringComparison.Ordinal);
            }

            string[] issuedSecrets = [.. secrets];
            var exposed = new List<string>();
            foreach (var (where, bytes) in records)
            {
                exposed.AddRange(SecretScan.FindIn(where, bytes, issuedSecrets, signingKeys));
            }

            exposed.AddRange(SecretScan.Find(apiData, issuedSecrets, signingKeys));
            exposed.AddRange(SecretScan.Find(workerData, issuedSecrets, signingKeys));
            exposed.AddRange(SecretScan.FindIn("nodes' output", Encoding.UTF8.GetBytes(output), issuedSecrets, signingKeys));
            var topics = records.Select(r => r.Where[..r.Where.IndexOf('/', StringComparison.Ordinal)]).Distinct().Order().ToList();
            Assert.True(exposed.Count == 0, $"{exposed.Count} copies of the {issuedSecrets.Length} issued secrets were written:\n{string.Join('\n', exposed)}");
            ReliabilityRecorder.Record("token-hygiene", new ReliabilityNumbers
            {
                Sent = issuedSecrets.Length,
                Lost = 0,
                Note = $"scaled out (api + ingest,process over Kafka): {issuedSecrets.Length} issued secrets searched in {records.Count} records of {topics.Count} topics ({string.Join(", ", topics)}), both data folders and outputs: 0 found",
            });
        }
        finally
        {
            await probe.DropDatabaseAsync();
        }
    }

    /// <summary>Every record of every topic on the cluster, from the first offset to the end: its key, value and headers as one byte string, named topic/partition@offset.</summary>
    private static List<(string Where, byte[] Bytes)> EveryKafkaRecord(string bootstrapServers)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).Build();
        var partitions = admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics
            .SelectMany(topic => topic.Partitions.Select(p => new TopicPartition(topic.Topic, p.PartitionId)))
            .ToList();
        Assert.Contains(partitions, p => p.Topic == "dcs.raw");
        Assert.Contains(partitions, p => p.Topic == "dcs.registry");

        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = "hygiene-scan-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
        }).Build();
        var ends = partitions.ToDictionary(p => p, p => consumer.QueryWatermarkOffsets(p, TimeSpan.FromSeconds(10)).High.Value);
        var pending = ends.Where(e => e.Value > 0).Select(e => e.Key).ToHashSet();
        consumer.Assign(pending.Select(p => new TopicPartitionOffset(p, Offset.Beginning)));
        var records = new List<(string Where, byte[] Bytes)>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (pending.Count > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the topics were not read to their ends within 60 s: {string.Join(", ", pending)}");
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null || result.IsPartitionEOF)
            {
                continue;
            }

            var bytes = new List<byte>();
            bytes.AddRange(result.Message.Key ?? []);
            bytes.AddRange(result.Message.Value ?? []);
            if (result.Message.Headers is { } headers)
            {
                foreach (var header in headers)
                {
                    bytes.AddRange(Encoding.UTF8.GetBytes(header.Key));
                    bytes.AddRange(header.GetValueBytes() ?? []);
                }
            }

            records.Add(($"{result.Topic}/{result.Partition.Value}@{result.Offset.Value}", [.. bytes]));
            if (result.Offset.Value + 1 >= ends[result.TopicPartition])
            {
                pending.Remove(result.TopicPartition);
            }
        }

        return records;
    }
}
