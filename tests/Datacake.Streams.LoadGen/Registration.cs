using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.RecordLog.Faster;

namespace Datacake.Streams.LoadGen;

/// <summary>Puts a workspace, a device and a read-write token on dcs.registry of an embedded log that no host holds open.</summary>
internal static class Registration
{
    public static async Task PrepareAsync(string dataDirectory)
    {
        var token = AccessToken.New();
        var device = DeviceId.New();
        var workspace = "ws_load_" + Guid.NewGuid().ToString("N")[..8];
        await using var log = await FasterRecordLog.OpenAsync(new FasterRecordLogOptions { DataDirectory = Path.Combine(dataDirectory, "log") });
        var publisher = new RegistryPublisher(log);
        await publisher.PublishAsync(new WorkspaceUpserted(new WorkspaceEntry(workspace, null)));
        await publisher.PublishAsync(new DeviceUpserted(new DeviceEntry { Id = device, WorkspaceId = workspace }));
        await publisher.PublishAsync(new TokenUpserted(new TokenGrant
        {
            TokenId = "tok_load", Hash = token.Hash, WorkspaceId = workspace, Devices = [new DeviceGrant(device, DeviceAccess.ReadWrite)],
        }));
        Console.WriteLine($"token={token.Secret}");
        Console.WriteLine($"device={device}");
    }
}
