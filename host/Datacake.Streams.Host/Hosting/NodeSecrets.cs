using Datacake.Streams.Files;
using System.Security.Cryptography;
using Datacake.Streams.Access;
using Datacake.Streams.Records;

namespace Datacake.Streams.Hosting;

/// <summary>
/// Keys a node needs and no record may carry: the adapter HMAC key (records are signed by ingest and verified by
/// processing) and the key that seals webhook signing secrets on the registry topic. Scaled out, every node must be
/// given the same keys (<c>Secrets:AdapterKey</c>, <c>Secrets:RegistryKey</c>, base64 of 32 bytes); on a single
/// machine they are made on first start under <c>&lt;data&gt;/secrets</c> with mode 0600.
/// </summary>
public sealed class NodeSecrets
{
    public const string Section = "Secrets";

    private NodeSecrets(byte[] adapterKey, byte[] registryKey)
    {
        Keyring = new AdapterKeyring(new Dictionary<uint, byte[]> { [1] = adapterKey }, 1);
        RegistryKey = registryKey;
    }

    public AdapterKeyring Keyring { get; }

    public byte[] RegistryKey { get; }

    public static NodeSecrets Load(IConfiguration configuration, StreamsOptions options)
    {
        var folder = Path.Combine(options.FullDataDirectory, "secrets");
        return new NodeSecrets(
            KeyFrom(configuration[$"{Section}:AdapterKey"], Path.Combine(folder, "adapter.key")),
            KeyFrom(configuration[$"{Section}:RegistryKey"], Path.Combine(folder, "registry.key")));
    }

    private static byte[] KeyFrom(string? configured, string path)
    {
        if (!string.IsNullOrEmpty(configured))
        {
            var key = Convert.FromBase64String(configured);
            return key.Length >= 32 ? key : throw new InvalidOperationException($"a configured key must be at least 32 bytes (base64), got {key.Length}");
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
