using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Datacake.Streams.Crypto;

namespace Datacake.Streams.Access;

/// <summary>
/// SHA-256 of a token's UTF-8 bytes: the only form in which a token is stored, published or carried in a raw record
/// (there, as the credential fingerprint). 32 bytes held as four big-endian words for a cheap equality.
/// </summary>
public readonly struct TokenHash : IEquatable<TokenHash>
{
    public const int ByteLength = 32;

    // Tokens are 53 ASCII characters (at most 162 UTF-8 bytes by GetMaxByteCount); up to 256 hash from the stack.
    private const int StackLimit = 256;

    private readonly ulong _w0;
    private readonly ulong _w1;
    private readonly ulong _w2;
    private readonly ulong _w3;

    private TokenHash(ulong w0, ulong w1, ulong w2, ulong w3)
    {
        _w0 = w0;
        _w1 = w1;
        _w2 = w2;
        _w3 = w3;
    }

    /// <summary>The first 8 digest bytes, big-endian: uniformly distributed, a ready-made hash-table index.</summary>
    internal ulong Prefix => _w0;

    public bool IsEmpty => (_w0 | _w1 | _w2 | _w3) == 0;

    /// <summary>SHA-256 of the UTF-8 bytes of <paramref name="token"/>; allocation-free for token-sized input.</summary>
    /// <remarks>
    /// OpenSSL's SHA-256 called directly (<see cref="OpenSslSha256.HashData"/>): for a token it beat the BCL's one-shot
    /// 5–10×, the hand-written single-block SHA-256 and BouncyCastle's digest it replaces ~3× (docs/BENCHMARKS.md,
    /// "Crypto primitives"). Same bytes in, same digest out: hashes stored before still match.
    /// </remarks>
    public static TokenHash Of(ReadOnlySpan<char> token)
    {
        var maxBytes = Encoding.UTF8.GetMaxByteCount(token.Length);
        byte[]? rented = null;
        var buffer = maxBytes <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(maxBytes));
        try
        {
            var length = Encoding.UTF8.GetBytes(token, buffer);
            Span<byte> digest = stackalloc byte[ByteLength];
            OpenSslSha256.HashData(buffer[..length], digest);

            // The buffer held the secret: clear it before the stack frame or the pooled array is reused.
            CryptographicOperations.ZeroMemory(buffer[..length]);
            return FromBytes(digest);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    internal static TokenHash FromWords(ulong w0, ulong w1, ulong w2, ulong w3) => new(w0, w1, w2, w3);

    public static TokenHash FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != ByteLength)
        {
            throw new ArgumentException($"a token hash is {ByteLength} bytes, got {bytes.Length}", nameof(bytes));
        }

        return new TokenHash(
            BinaryPrimitives.ReadUInt64BigEndian(bytes),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]));
    }

    public void WriteBytes(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _w0);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _w1);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _w2);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _w3);
    }

    public byte[] ToBytes()
    {
        var bytes = new byte[ByteLength];
        WriteBytes(bytes);
        return bytes;
    }

    /// <summary>Parses 64 hex digits (either case).</summary>
    public static bool TryParseHex(ReadOnlySpan<char> hex, out TokenHash hash)
    {
        hash = default;
        if (hex.Length != ByteLength * 2)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[ByteLength];
        if (Convert.FromHexString(hex, bytes, out _, out var written) != OperationStatus.Done || written != ByteLength)
        {
            return false;
        }

        hash = FromBytes(bytes);
        return true;
    }

    /// <summary>64 lowercase hex digits.</summary>
    public string ToHex()
    {
        Span<byte> bytes = stackalloc byte[ByteLength];
        WriteBytes(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    public bool Equals(TokenHash other) =>
        _w0 == other._w0 && _w1 == other._w1 && _w2 == other._w2 && _w3 == other._w3;

    public override bool Equals(object? obj) => obj is TokenHash other && Equals(other);

    /// <summary>The first 8 bytes of a SHA-256 digest are uniformly distributed: no need to mix the rest in.</summary>
    public override int GetHashCode() => (int)_w0 ^ (int)(_w0 >> 32);

    public static bool operator ==(TokenHash left, TokenHash right) => left.Equals(right);

    public static bool operator !=(TokenHash left, TokenHash right) => !left.Equals(right);

    public override string ToString() => ToHex();
}
