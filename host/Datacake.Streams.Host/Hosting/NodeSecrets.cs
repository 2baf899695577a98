using Datacake.Streams.Files;
using System.Security.Cryptography;
using Datacake.Streams.Access;
using Datacake.Streams.Records;

namespace Datacake.Streams.Hosting;

/// <summary>
/// Keys a node needs and no record may carry: the adapter HMAC key (records are signed by ingest and verified by
/// processing) and the key that seals webhook signing secrets on the registry topic. Scaled out, every node must be
/// given the same keys (<c>Secrets:AdapterKey</c>, <c>Secrets:RegistryKey</c>, base64 of 32 bytes); on a single
/// machine they are made on first start under <c>&lt;data&gt;/secrets</c> with mode 0600. The registry key also signs
/// every <c>dcs.registry</c> value (<see cref="RegistryMac"/>); to rotate it, <c>Secrets:PreviousRegistryKey</c> holds
/// the old one while nodes move over: still accepted on read, never used to write.
/// </summary>
public sealed class NodeSecrets
{
    public const string Section = "Secrets";

    private NodeSecrets(byte[] adapterKey, byte[] registryKey, byte[]? previousRegistryKey)
    {
        Keyring = new AdapterKeyring(new Dictionary<uint, byte[]> { [1] = adapterKey }, 1);
        RegistryKey = registryKey;
        PreviousRegistryKey = previousRegistryKey;
    }

    public AdapterKeyring Keyring { get; }

    public byte[] RegistryKey { get; }

    /// <summary>The registry key being rotated out (<c>Secrets:PreviousRegistryKey</c>), null outside a rollover.</summary>
    public byte[]? PreviousRegistryKey { get; }

    public static NodeSecrets Load(IConfiguration configuration, StreamsOptions options)
    {
        var folder = Path.Combine(options.FullDataDirectory, "secrets");
        return new NodeSecrets(
            KeyFrom(configuration[$"{Section}:AdapterKey"], Path.Combine(folder, "adapter.key")),
            KeyFrom(configuration[$"{Section}:RegistryKey"], Path.Combine(folder, "registry.key")),
            configuration[$"{Section}:PreviousRegistryKey"] is { Length: > 0 } previous ? Configured(previous) : null);
    }

    private static byte[] Configured(string configured)
    {
        var key = Convert.FromBase64String(configured);
        return key.Length >= 32 ? key : throw new InvalidOperationException($"a configured key must be at least 32 bytes (base64), got {key.Length}");
    }

    private static byte[] KeyFrom(string? configured, string path)
    {
        if (!string.IsNullOrEmpty(configured))
        {
            return Configured(configured);
        }

        if (File.Exists(path))
        {
            return File.ReadAllBytes(path);
        }

        PrivateFile.CreateDirectory(Path.GetDirectoryName(path)!);
        var created = RandomNumberGenerator.GetBytes(32);
        PrivateFile.WriteAllBytes(path, created);
        return created;
    }
}
