using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.RecordLog.Faster;

namespace Datacake.Streams.LoadGen;

/// <summary>
/// Puts a workspace, devices and a read-write token on dcs.registry of an embedded log that no host holds open. The
/// token is an editor of the workspace (so it may write every device, as a bridge's workspace token does) and holds the
/// first device by grant as well.
/// </summary>
internal static class Registration
{
    public static async Task PrepareAsync(string dataDirectory, int devices, string? devicesFile)
    {
        var token = AccessToken.New();
        var ids = Enumerable.Range(0, Math.Max(devices, 1)).Select(_ => DeviceId.New()).ToList();
        var workspace = "ws_load_" + Guid.NewGuid().ToString("N")[..8];
        await using var log = await FasterRecordLog.OpenAsync(new FasterRecordLogOptions { DataDirectory = Path.Combine(dataDirectory, "log") });
        var publisher = new RegistryPublisher(log);
        await publisher.PublishAsync(new WorkspaceUpserted(new WorkspaceEntry(workspace, null)));
        foreach (var device in ids)
        {
            await publisher.PublishAsync(new DeviceUpserted(new DeviceEntry { Id = device, WorkspaceId = workspace }));
        }

        await publisher.PublishAsync(new TokenUpserted(new TokenGrant
        {
            TokenId = "tok_load", Hash = token.Hash, WorkspaceId = workspace, Role = WorkspaceRole.Editor,
            Devices = [new DeviceGrant(ids[0], DeviceAccess.ReadWrite)],
        }));
        if (devicesFile is not null)
        {
            await File.WriteAllLinesAsync(devicesFile, ids.Select(d => d.ToString()));
        }

        Console.WriteLine($"token={token.Secret}");
        Console.WriteLine($"device={ids[0]}");
    }
}
