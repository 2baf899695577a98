using System.Collections.Frozen;
using System.Security.Cryptography;

namespace Datacake.Streams.Records;

/// <summary>
/// The HMAC keys adapters sign records with and processors verify them with. Keys have ids so they can rotate:
/// new records are signed with <see cref="CurrentKeyId"/>, older ones still verify with the key they name.
/// </summary>
public sealed class AdapterKeyring
{
    public const int KeyLength = 32;
    public const int SignatureLength = 32;

    private readonly FrozenDictionary<uint, byte[]> _keys;

    public AdapterKeyring(IReadOnlyDictionary<uint, byte[]> keys, uint currentKeyId)
    {
        if (currentKeyId == 0 || !keys.ContainsKey(currentKeyId))
        {
            throw new ArgumentException($"the current key id {currentKeyId} must be non-zero and in the keyring", nameof(currentKeyId));
        }

        foreach (var (id, key) in keys)
        {
            if (key.Length < KeyLength)
            {
                throw new ArgumentException($"adapter key {id} has {key.Length} bytes; at least {KeyLength} are needed", nameof(keys));
            }
        }

        _keys = keys.ToFrozenDictionary(pair => pair.Key, pair => pair.Value.ToArray());
        CurrentKeyId = currentKeyId;
    }

    public uint CurrentKeyId { get; }

    public ReadOnlySpan<byte> CurrentKey => _keys[CurrentKeyId];

    /// <summary>The ids of every key in the ring, the current one included.</summary>
    public IEnumerable<uint> KeyIds => _keys.Keys;

    public bool TryGetKey(uint keyId, out ReadOnlySpan<byte> key)
    {
        if (_keys.TryGetValue(keyId, out var bytes))
        {
            key = bytes;
            return true;
        }

        key = default;
        return false;
    }

    /// <summary>A keyring with one fresh random key (tests, and the first start of an embedded node).</summary>
    public static AdapterKeyring CreateRandom(uint keyId = 1) =>
        new(new Dictionary<uint, byte[]> { [keyId] = RandomNumberGenerator.GetBytes(KeyLength) }, keyId);
}
