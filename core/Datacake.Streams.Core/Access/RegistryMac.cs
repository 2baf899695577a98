using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Datacake.Streams.Crypto;

namespace Datacake.Streams.Access;

/// <summary>
/// Authenticates <c>dcs.registry</c>: every value a node appends is prefixed with an HMAC-SHA256 over the record's key
/// and the rest of the value, under a key derived from the cluster's registry key; a reader applies nothing whose MAC
/// does not verify. Whoever can produce to the topic without the key can no longer grant, change or remove anything.
/// </summary>
/// <remarks>
/// The MAC key is HMAC(registry key, "registry-mac-v1"), never the registry key itself, which also seals webhook secrets
/// (<see cref="RegistrySecretSealer"/>): one key, one purpose. During a key rollover the previous registry key is given
/// too: values are signed with the current key only and accepted under either, so nodes can be restarted one at a time.
/// The key is bound in (its length, then its bytes) so that a signed value copied under another key does not verify.
/// Registry changes are rare (a person's action, or the reconciler at start): one small allocation per value is fine.
/// </remarks>
public sealed class RegistryMac
{
    public const int MacLength = HmacSha256Key.MacLength;

    private static readonly byte[] Purpose = Encoding.ASCII.GetBytes("registry-mac-v1");

    private readonly HmacSha256Key _current;
    private readonly HmacSha256Key? _previous;

    /// <param name="registryKey">The cluster's registry key (<c>Secrets:RegistryKey</c>), at least 32 bytes.</param>
    /// <param name="previousRegistryKey">The key being rotated out, accepted on read only; null outside a rollover.</param>
    public RegistryMac(ReadOnlySpan<byte> registryKey, ReadOnlySpan<byte> previousRegistryKey = default)
    {
        _current = Derive(registryKey, nameof(registryKey));
        _previous = previousRegistryKey.IsEmpty ? null : Derive(previousRegistryKey, nameof(previousRegistryKey));
    }

    /// <summary>True while a previous key is accepted.</summary>
    public bool AcceptsPreviousKey => _previous is not null;

    /// <summary>The value to append: MAC (32 bytes) followed by <paramref name="payload"/> (empty for a removal).</summary>
    public byte[] Sign(ReadOnlySpan<byte> key, ReadOnlySpan<byte> payload)
    {
        var value = new byte[MacLength + payload.Length];
        payload.CopyTo(value.AsSpan(MacLength));
        _current.Compute(Signed(key, payload), value);
        return value;
    }

    /// <summary>
    /// True when <paramref name="value"/> carries a MAC that verifies under the current or the previous key;
    /// <paramref name="payload"/> is then what follows the MAC.
    /// </summary>
    public bool TryVerify(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out ReadOnlySpan<byte> payload)
    {
        payload = default;
        if (value.Length < MacLength)
        {
            return false;
        }

        var rest = value[MacLength..];
        var signed = Signed(key, rest);
        var mac = value[..MacLength];
        // Both are computed, whichever matches, so that the answer's timing does not tell which key signed it.
        var current = _current.Verify(signed, mac);
        var previous = _previous is not null && _previous.Verify(signed, mac);
        if (!(current | previous))
        {
            return false;
        }

        payload = rest;
        return true;
    }

    private static byte[] Signed(ReadOnlySpan<byte> key, ReadOnlySpan<byte> payload)
    {
        var signed = new byte[sizeof(int) + key.Length + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(signed, key.Length);
        key.CopyTo(signed.AsSpan(sizeof(int)));
        payload.CopyTo(signed.AsSpan(sizeof(int) + key.Length));
        return signed;
    }

    private static HmacSha256Key Derive(ReadOnlySpan<byte> registryKey, string parameter)
    {
        if (registryKey.Length < 32)
        {
            throw new ArgumentException($"a registry key is at least 32 bytes, got {registryKey.Length}", parameter);
        }

        Span<byte> macKey = stackalloc byte[MacLength];
        HMACSHA256.HashData(registryKey, Purpose, macKey);
        var derived = new HmacSha256Key(macKey);
        CryptographicOperations.ZeroMemory(macKey);
        return derived;
    }
}
