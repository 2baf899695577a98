using System.Security.Cryptography;
using Datacake.Streams.Access;
using Datacake.Streams.Files;
using Datacake.Streams.Ids;
using Datacake.Streams.Log.Kafka;
using Datacake.Streams.RecordLog;
using Datacake.Streams.RecordLog.Faster;

namespace Datacake.Streams.LoadGen;

/// <summary>
/// Puts a workspace, devices and a read-write token on dcs.registry, either of an embedded log that no host holds open
/// or of a Kafka cluster (<c>--kafka BOOTSTRAP</c>, before or while the nodes run). The token is an editor of the
/// workspace (so it may write every device, as a bridge's workspace token does) and holds the first device by grant
/// as well: one token, however many devices. With a device tokens file, each device also gets a device token of its
/// own (no role, that one device read-write: what <c>/write</c> takes), written as <c>device token</c> lines.
/// </summary>
internal static class Registration
{
    /// <summary>
    /// Changes published at once. Awaiting each durable append in turn pays one FasterLog group commit (~2 ms) per
    /// device, ~200 s for 100,000; with 1,024 in flight they share commits (10,000 devices registered in ~1 s here).
    /// </summary>
    private const int InFlight = 1024;

    public static async Task PrepareAsync(string? dataDirectory, string? kafkaBootstrap, int devices, string? devicesFile, string? deviceTokensFile = null)
    {
        var token = AccessToken.New();
        var ids = Enumerable.Range(0, Math.Max(devices, 1)).Select(_ => DeviceId.New()).ToList();
        var workspace = "ws_load_" + Guid.NewGuid().ToString("N")[..8];
        await using var log = await OpenAsync(dataDirectory, kafkaBootstrap);
        var publisher = new RegistryPublisher(log, new RegistryChangeCodec(new RegistryMac(RegistryKey(dataDirectory))));
        await publisher.PublishAsync(new WorkspaceUpserted(new WorkspaceEntry(workspace, null)));
        foreach (var chunk in ids.Chunk(InFlight))
        {
            await Task.WhenAll(chunk.Select(device => publisher.PublishAsync(new DeviceUpserted(new DeviceEntry { Id = device, WorkspaceId = workspace })).AsTask()));
        }

        await publisher.PublishAsync(new TokenUpserted(new TokenGrant
        {
            TokenId = "tok_load", Hash = token.Hash, WorkspaceId = workspace, Role = WorkspaceRole.Editor,
            Devices = [new DeviceGrant(ids[0], DeviceAccess.ReadWrite)],
        }));
        if (deviceTokensFile is not null)
        {
            var deviceTokens = ids.Select(_ => AccessToken.New()).ToList();
            foreach (var chunk in ids.Select((device, i) => (device, i)).Chunk(InFlight))
            {
                await Task.WhenAll(chunk.Select(d => publisher.PublishAsync(new TokenUpserted(new TokenGrant
                {
                    TokenId = $"tok_load_{d.i}", Hash = deviceTokens[d.i].Hash, WorkspaceId = workspace, Role = WorkspaceRole.None,
                    Devices = [new DeviceGrant(d.device, DeviceAccess.ReadWrite)],
                })).AsTask()));
            }

            await File.WriteAllLinesAsync(deviceTokensFile, ids.Select((d, i) => $"{d} {deviceTokens[i].Secret}"));
        }

        if (devicesFile is not null)
        {
            await File.WriteAllLinesAsync(devicesFile, ids.Select(d => d.ToString()));
        }

        Console.WriteLine($"token={token.Secret}");
        Console.WriteLine($"device={ids[0]}");
    }

    /// <summary>
    /// The nodes' registry key: readers refuse registry changes not signed with it. <c>Secrets__RegistryKey</c> as the
    /// host reads it, else the key of the embedded log's host (<c>&lt;data&gt;/secrets/registry.key</c>), made here with
    /// mode 0600 when no host has started on that folder yet, so that the host started after it adopts it.
    /// </summary>
    private static byte[] RegistryKey(string? dataDirectory)
    {
        if (Environment.GetEnvironmentVariable("Secrets__RegistryKey") is { Length: > 0 } configured)
        {
            return Convert.FromBase64String(configured);
        }

        if (dataDirectory is null)
        {
            throw new ArgumentException("prepare --kafka needs Secrets__RegistryKey (base64), the key the nodes are given");
        }

        var path = Path.Combine(dataDirectory, "secrets", "registry.key");
        if (File.Exists(path))
        {
            return File.ReadAllBytes(path);
        }

        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("set Secrets__RegistryKey: a registry key is only made on Linux (mode 0600)");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var created = RandomNumberGenerator.GetBytes(32);
        PrivateFile.WriteAllBytes(path, created);
        return created;
    }

    private static async Task<IRecordLog> OpenAsync(string? dataDirectory, string? kafkaBootstrap)
    {
        if (kafkaBootstrap is not null)
        {
            return new KafkaRecordLog(new KafkaRecordLogOptions { BootstrapServers = kafkaBootstrap, ClientId = "dcs-loadgen" });
        }

        return dataDirectory is not null
            ? await FasterRecordLog.OpenAsync(new FasterRecordLogOptions { DataDirectory = Path.Combine(dataDirectory, "log") })
            : throw new ArgumentException("prepare needs --data DIR (embedded log) or --kafka BOOTSTRAP");
    }
}
