using System.Security.Cryptography;

namespace Datacake.Streams.Access;

/// <summary>
/// Seals the few secrets the registry must carry in a recoverable form (Standard Webhooks signing keys) with AES-256-GCM
/// under a key shared by the nodes of one deployment, so that <c>dcs.registry</c> (and anyone who can read the log)
/// never holds them in clear. The entity key is bound in as associated data: a sealed secret copied to another
/// webhook does not open. During a key rollover the previous key opens what it sealed; sealing uses the current key only.
/// </summary>
public sealed class RegistrySecretSealer : IDisposable
{
    public const int KeyLength = 32;
    private const int NonceLength = 12;
    private const int TagLength = 16;

    private readonly AesGcm _aes;
    private readonly AesGcm? _previous;

    /// <param name="previousKey">The key being rotated out, used to open only; empty outside a rollover.</param>
    public RegistrySecretSealer(ReadOnlySpan<byte> key, ReadOnlySpan<byte> previousKey = default)
    {
        if (key.Length != KeyLength || (!previousKey.IsEmpty && previousKey.Length != KeyLength))
        {
            throw new ArgumentException($"the registry key is {KeyLength} bytes, got {key.Length} (previous {previousKey.Length})", nameof(key));
        }

        _aes = new AesGcm(key, TagLength);
        _previous = previousKey.IsEmpty ? null : new AesGcm(previousKey, TagLength);
    }

    /// <summary>nonce (12) + ciphertext + tag (16).</summary>
    public byte[] Seal(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> associatedData)
    {
        var sealedBytes = new byte[NonceLength + secret.Length + TagLength];
        var nonce = sealedBytes.AsSpan(0, NonceLength);
        RandomNumberGenerator.Fill(nonce);
        _aes.Encrypt(nonce, secret, sealedBytes.AsSpan(NonceLength, secret.Length), sealedBytes.AsSpan(NonceLength + secret.Length), associatedData);
        return sealedBytes;
    }

    /// <summary>False when the bytes were not sealed with this key for this entity, or were altered.</summary>
    public bool TryUnseal(ReadOnlySpan<byte> sealedBytes, ReadOnlySpan<byte> associatedData, out byte[] secret)
    {
        secret = [];
        if (sealedBytes.Length < NonceLength + TagLength)
        {
            return false;
        }

        var plain = new byte[sealedBytes.Length - NonceLength - TagLength];
        if (!Open(_aes, sealedBytes, plain, associatedData) && (_previous is null || !Open(_previous, sealedBytes, plain, associatedData)))
        {
            return false;
        }

        secret = plain;
        return true;
    }

    public void Dispose()
    {
        _aes.Dispose();
        _previous?.Dispose();
    }

    private static bool Open(AesGcm aes, ReadOnlySpan<byte> sealedBytes, Span<byte> plain, ReadOnlySpan<byte> associatedData)
    {
        try
        {
            aes.Decrypt(sealedBytes[..NonceLength], sealedBytes.Slice(NonceLength, plain.Length), sealedBytes[^TagLength..], plain, associatedData);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }
}
