using System.Net;
using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Ingest.Publishing;
using Datacake.Streams.RecordLog.Faster;
using Datacake.Streams.Records;
using static Datacake.Streams.IntegrationTests.EndToEnd.UplinkBodies;

namespace Datacake.Streams.IntegrationTests.EndToEnd;

/// <summary>
/// A token revoked at T, through the real executable: what was received before T is written even when it is
/// processed after T; what arrives after T is refused by ingest, or, if it reached the log anyway, dead-lettered.
/// </summary>
/// <remarks>
/// Deterministic lag: the host runs first with an InfluxDB URL nobody answers, so its processor can write (and
/// commit) nothing, then again with the real one.
/// </remarks>
[Collection(EndToEndCollection.Name)]
public sealed class RevocationTests(EndToEndHost e2e)
{
    [Fact]
    [Trait("Reliability", "revocation")]
    public async Task Records_received_before_the_revocation_are_written_later_and_records_after_it_are_not()
    {
        var device = await e2e.NewDeviceAsync("Revoked sensor");
        var t1 = DateTimeOffset.UtcNow.AddMinutes(-3).AddTicks(1111111);
        var t2 = t1.AddSeconds(20);
        try
        {
            // Processing held back: InfluxDB unreachable, so the processor retries its first batch and commits nothing,
            // while ingest appends (the embedded log runs every role in one process; a lagging processor is the case).
            await e2e.RestartAsync(new Dictionary<string, string> { ["DCS_INFLUX_URL"] = "http://127.0.0.1:1" }, waitUntilReady: false);
            await Senders.AcceptedAsync(() => Senders.MeasurementAsync(e2e.Host.Http, device, Reading(t1, 1)), "the device token");
            await using (var mqtt = await MqttWire.ConnectAcceptedAsync(e2e.MqttPort, "revoked-" + Guid.NewGuid().ToString("N")[..8], device.Token))
            {
                await mqtt.PublishQos1Async($"devices/{device.Id}/measurements", Reading(t2, 2), packetId: 1);
            }

            // T: the revocation. From here ingest refuses the token on every adapter.
            await e2e.Api.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/v1/tokens/{device.TokenId}", e2e.OwnerToken);
            var revokedAt = DateTimeOffset.UtcNow;
            var refused = await Until.Async(
                () => Senders.MeasurementAsync(e2e.Host.Http, device, Reading(t2.AddSeconds(20), 3)),
                a => a.Status != HttpStatusCode.Accepted,
                "ingest refusing the revoked token");
            Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
            Assert.Contains("revoked", refused.Body, StringComparison.Ordinal);
            var (connection, code) = await MqttWire.ConnectAsync(e2e.MqttPort, "revoked-late", device.Token);
            await connection.DisposeAsync();
            Assert.Equal(4, code);

            // A record received after T that reached the log anyway (an ingest node whose registry view lagged behind
            // the revocation): appended with the node's adapter key while the host is down.
            await e2e.StopAsync();
            var lateTime = DateTimeOffset.UtcNow;
            Assert.True(lateTime >= revokedAt);
            await AppendAsIngestWouldAsync(device, lateTime, Reading(lateTime.AddSeconds(-1), 4));
        }
        catch
        {
            // The other tests of the collection need a host with every role and InfluxDB.
            await e2e.RestartAsync();
            throw;
        }

        // Processing, now with InfluxDB, reads the device's records after T: two received before it, one after.
        await e2e.RestartAsync();
        var (reason, detail) = Assert.Single(await e2e.WaitForDeadLettersAsync(device.Id, 1));
        Assert.Equal("not_authorized", reason);
        Assert.Contains("revoked", detail, StringComparison.Ordinal);
        var points = await e2e.Influx.WaitForPointsAsync(device.Id, 2);
        Assert.Equal([UnixNs(t1), UnixNs(t2)], points.Select(p => p.TimeNs).ToArray());
        Assert.Equal([1.0, 2.0], points.Select(p => p.Number("sequence")).ToArray());
    }

    private async Task AppendAsIngestWouldAsync(TestDevice device, DateTimeOffset receivedAt, string body)
    {
        var signer = new AdapterSigner(new AdapterKeyring(new Dictionary<uint, byte[]> { [1] = await File.ReadAllBytesAsync(e2e.AdapterKeyFile) }, 1));
        await using var log = await FasterRecordLog.OpenAsync(new FasterRecordLogOptions { DataDirectory = e2e.LogDirectory });
        var record = new RawRecord
        {
            Version = RawRecord.CurrentVersion,
            DeviceId = DeviceId.Parse(device.Id),
            Source = SourceKind.Http,
            ReceivedAtUnixNs = UnixNs(receivedAt),
            PayloadKind = PayloadKind.JsonValues,
            Payload = Encoding.UTF8.GetBytes(body),
            Credential = TokenHash.Of(device.Token),
            CredentialKind = CredentialKind.Token,
        };
        Assert.Equal(AppendOutcome.Durable, await new RawRecordAppender(log, signer).AppendAsync(record));
    }
}
