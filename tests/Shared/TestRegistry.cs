using System.Security.Cryptography;
using Datacake.Streams.Access;
using Datacake.Streams.RecordLog;

namespace Datacake.Streams.TestSupport;

/// <summary>
/// The registry key of a test process: every <c>dcs.registry</c> value is signed (<see cref="RegistryMac"/>), so a
/// test that writes the registry and the feed or host that reads it must share one key. A host started by a test is
/// given it through <see cref="HostEnvironment"/>.
/// </summary>
public static class TestRegistry
{
    public static byte[] Key { get; } = RandomNumberGenerator.GetBytes(32);

    public static RegistryMac Mac { get; } = new(Key);

    /// <summary><c>Secrets__RegistryKey</c> for a host process that must read what this process published.</summary>
    public static KeyValuePair<string, string> HostEnvironment => new("Secrets__RegistryKey", Convert.ToBase64String(Key));

    public static RegistryChangeCodec Codec(RegistrySecretSealer? sealer = null) => new(Mac, sealer);

    public static RegistryPublisher Publisher(IRecordLog log) => new(log, Codec());
}
