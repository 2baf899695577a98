using System.Net;
using System.Security.Cryptography;
using Datacake.Streams.Access;
using Datacake.Streams.RecordLog;
using Datacake.Streams.RecordLog.Faster;
using Datacake.Streams.TestSupport;

namespace Datacake.Streams.IntegrationTests.EndToEnd;

/// <summary>
/// Issue 17, through the real executable on its embedded log: registry records appended straight to the FasterLog
/// files by someone without the registry key (unsigned, or signed with a key of their own) grant nothing, remove
/// nothing, and are counted and logged by offset when the node reads them.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class ForgedRegistryTests(EndToEndHost e2e)
{
    [Fact]
    public async Task Registry_records_forged_into_the_embedded_log_change_nothing_on_the_node_and_are_counted()
    {
        var device = await e2e.NewDeviceAsync("Forgery target");
        var attacker = AccessToken.New();
        var grant = new TokenUpserted(new TokenGrant { TokenId = "tok_forged", Hash = attacker.Hash, WorkspaceId = e2e.WorkspaceId, Role = WorkspaceRole.Owner });
        var forger = new RegistryChangeCodec(new RegistryMac(RandomNumberGenerator.GetBytes(32)));
        var before = ForgeryEvidence.RefusalLines(e2e.Host.Output);

        // FasterLog holds its files exclusively: the forger writes while the node is down, as someone with the disk would.
        await e2e.StopAsync();
        await using (var log = await FasterRecordLog.OpenAsync(new FasterRecordLogOptions { DataDirectory = e2e.LogDirectory }))
        {
            await log.AppendAsync(LogTopics.Registry, RegistryChangeCodec.EncodeKey(grant), TestRegistry.Codec().EncodeValue(grant)[RegistryMac.MacLength..]);
            await log.AppendAsync(LogTopics.Registry, RegistryChangeCodec.EncodeKey(grant), forger.EncodeValue(grant));
            var removal = new TokenRemoved(device.TokenId);
            await log.AppendAsync(LogTopics.Registry, RegistryChangeCodec.EncodeKey(removal), forger.EncodeValue(removal));
        }

        await e2e.RestartAsync();
        await ForgeryEvidence.AssertRefusedAsync(e2e.Host, atLeast: 3);
        Assert.Equal(3, ForgeryEvidence.RefusalLines(e2e.Host.Output) - before);

        var forged = device with { Token = attacker.Secret };
        Assert.Equal(HttpStatusCode.Unauthorized, (await Senders.MeasurementAsync(e2e.Host.Http, forged, UplinkBodies.Reading(DateTimeOffset.UtcNow, 1))).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await e2e.Api.SendAsync(HttpMethod.Get, $"/v1/workspaces/{e2e.WorkspaceId}", attacker.Secret)).Status);
        var (connection, code) = await MqttWire.ConnectAsync(e2e.MqttPort, "forged-" + Guid.NewGuid().ToString("N")[..8], attacker.Secret);
        await connection.DisposeAsync();
        Assert.NotEqual(0, code);

        // The forged removal removed nothing: the device's own token still writes.
        Assert.Equal(HttpStatusCode.Accepted, (await Senders.MeasurementAsync(e2e.Host.Http, device, UplinkBodies.Reading(DateTimeOffset.UtcNow, 2))).Status);
        await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{e2e.WorkspaceId}", e2e.OwnerToken);
    }
}
