using System.Net.Http.Headers;
using System.Net;
using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.IntegrationTests.Core.RecordLog;
using Datacake.Streams.IntegrationTests.Host.Hosting;
using Datacake.Streams.IntegrationTests.Log.Faster;
using Datacake.Streams.IntegrationTests.Log.Kafka;
using Datacake.Streams.RecordLog.Faster;
using Datacake.Streams.Records;
using Datacake.Streams.TestSupport;

namespace Datacake.Streams.IntegrationTests.Ingest;

/// <summary>What survives a dying ingest node: durable means durable, and a retried request carries the same key.</summary>
public sealed class IngestRecoveryTests : IDisposable
{
    private readonly TempLogDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    [Trait("Reliability", "kill-between-append-and-reply")]
    public async Task Death_between_append_and_reply_then_a_retry_leaves_two_records_with_one_message_id()
    {
        const string body = """{"temperature":21.5}""";
        const string key = "retry-7f3a";
        var first = await IngestTestHost.StartAsync(_directory.Path);
        var token = first.DeviceToken;
        var device = first.Device;
        first.Log.HangAfterAppend = true;
        var request = Post(first.Http, token, device, body, key);

        // The record is durable; the node "dies" before it answers.
        await first.Log.Appended.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await first.KillAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => request);
        await first.Log.DisposeAsync();

        // The client retries against the restarted node with the same Idempotency-Key.
        await using (var second = await IngestTestHost.StartAsync(_directory.Path))
        {
            second.Registry.Apply(new DeviceUpserted(new DeviceEntry { Id = device, WorkspaceId = IngestTestHost.WorkspaceId }));
            second.Registry.Apply(new TokenUpserted(new TokenGrant { TokenId = "tok_retry", Hash = token.Hash, WorkspaceId = IngestTestHost.WorkspaceId, Devices = [new DeviceGrant(device, DeviceAccess.ReadWrite)] }));
            using var retried = await Post(second.Http, token, device, body, key);
            Assert.Equal(HttpStatusCode.Accepted, retried.StatusCode);

            var records = second.ReadRaw().Select(r => r.Record).ToList();
            Assert.Equal(2, records.Count);
            Assert.All(records, r => Assert.Equal(key, r.MessageId));
            Assert.All(records, r => Assert.Equal(device, r.DeviceId));
            Assert.All(records, r => Assert.Equal(body, Encoding.UTF8.GetString(r.Payload.Span)));
        }
    }

    [Fact]
    [Trait("Reliability", "kill-between-append-and-reply")]
    public async Task The_real_host_accepts_measurements_and_a_sigkill_after_202_keeps_them()
    {
        var data = Directory.CreateTempSubdirectory("dcs-ingest-host-").FullName;
        try
        {
            // The host's registry view reads dcs.registry from its own embedded log: publish into it before it starts.
            var token = AccessToken.New();
            var device = DeviceId.New();
            var logOptions = new FasterRecordLogOptions { DataDirectory = Path.Combine(data, "log") };
            await using (var log = await FasterRecordLog.OpenAsync(logOptions))
            {
                var publisher = TestRegistry.Publisher(log);
                await publisher.PublishAsync(new WorkspaceUpserted(new WorkspaceEntry("ws_host", null)));
                await publisher.PublishAsync(new DeviceUpserted(new DeviceEntry { Id = device, WorkspaceId = "ws_host" }));
                await publisher.PublishAsync(new TokenUpserted(new TokenGrant { TokenId = "t1", Hash = token.Hash, WorkspaceId = "ws_host", Devices = [new DeviceGrant(device, DeviceAccess.ReadWrite)] }));
            }

            await using (var host = await HostProcess.StartAsync(new Dictionary<string, string>([TestRegistry.HostEnvironment]), dataDirectory: data))
            {
                await host.WaitUntilAsync("/readyz", HttpStatusCode.OK, TimeSpan.FromSeconds(30));
                for (var i = 0; i < 3; i++)
                {
                    using var response = await Post(host.Http, token, device, "[{\"time\":" + (1764324000000 + i) + ",\"values\":{\"n\":" + i + "}}]", $"k{i}");
                    Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                }

                using var refused = await Post(host.Http, AccessToken.New(), device, """{"n":1}""", null);
                Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
                host.Kill();
                await host.WaitForExitAsync(TimeSpan.FromSeconds(10));
            }

            await using (var log = await FasterRecordLog.OpenAsync(logOptions))
            {
                var records = IngestTestHost.ReadRaw(log).Select(r => r.Record).OrderBy(r => r.MessageId, StringComparer.Ordinal).ToList();
                Assert.Equal(["k0", "k1", "k2"], records.Select(r => r.MessageId));
                Assert.All(records, r => Assert.Equal(device, r.DeviceId));
                Assert.All(records, r => Assert.Equal(SourceKind.Http, r.Source));
                Assert.Equal((1764324000000L + 2) * 1_000_000, records[2].DeviceTimeUnixNs);
            }
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    private static Task<HttpResponseMessage> Post(HttpClient http, AccessToken token, DeviceId device, string body, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/devices/{device}/measurements")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Secret);
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        return http.SendAsync(request);
    }
}
