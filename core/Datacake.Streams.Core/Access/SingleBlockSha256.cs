using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Datacake.Streams.Access;

/// <summary>
/// SHA-256 (FIPS 180-4) of an ASCII text of at most 55 bytes: the message, its padding and its length fit one
/// 64-byte block, so the digest is one compression with no buffering, no length bookkeeping and no byte output
/// (the state words become the <see cref="TokenHash"/> directly). A 53-character token is the case it exists for:
/// BouncyCastle's general digest took ~560 ns here, the BCL's OpenSSL call ~1.1 µs.
/// </summary>
internal static class SingleBlockSha256
{
    /// <summary>Longest message that leaves room in one block for the 0x80 marker and the 8-byte bit length.</summary>
    public const int MaxLength = 55;

    // The round constants and initial state are defined as the first 32 fractional bits of the cube roots of the
    // first 64 primes and of the square roots of the first 8: computed here exactly with integer roots.
    private static readonly uint[] s_roundConstants = FractionalRootBits(64, 3);
    private static readonly uint[] s_initialState = FractionalRootBits(8, 2);

    /// <summary>SHA-256 of the ASCII bytes of <paramref name="text"/>; false (nothing hashed) when it is longer than <see cref="MaxLength"/> or not ASCII.</summary>
    public static bool TryHashAscii(ReadOnlySpan<char> text, out TokenHash hash)
    {
        if (text.Length > MaxLength)
        {
            hash = default;
            return false;
        }

        Span<byte> block = stackalloc byte[64];
        block.Clear();
        if (Ascii.FromUtf16(text, block, out _) != System.Buffers.OperationStatus.Done)
        {
            CryptographicOperations.ZeroMemory(block);
            hash = default;
            return false;
        }

        block[text.Length] = 0x80;
        BinaryPrimitives.WriteUInt64BigEndian(block[56..], (ulong)text.Length * 8);
        hash = Compress(block);
        return true;
    }

    private static TokenHash Compress(Span<byte> block)
    {
        Span<uint> schedule = stackalloc uint[64];
        ref uint w = ref MemoryMarshal.GetReference(schedule);
        BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, uint>(block), schedule[..16]);

        // The block held the secret: cleared as soon as its words are loaded (the schedule is cleared below).
        CryptographicOperations.ZeroMemory(block);
        for (int i = 16; i < 64; i++)
        {
            uint w2 = Unsafe.Add(ref w, i - 2);
            uint w15 = Unsafe.Add(ref w, i - 15);
            uint sigma1 = BitOperations.RotateRight(w2, 17) ^ BitOperations.RotateRight(w2, 19) ^ (w2 >> 10);
            uint sigma0 = BitOperations.RotateRight(w15, 7) ^ BitOperations.RotateRight(w15, 18) ^ (w15 >> 3);
            Unsafe.Add(ref w, i) = sigma1 + Unsafe.Add(ref w, i - 7) + sigma0 + Unsafe.Add(ref w, i - 16);
        }

        ref uint k = ref MemoryMarshal.GetArrayDataReference(s_roundConstants);
        ref uint initial = ref MemoryMarshal.GetArrayDataReference(s_initialState);
        uint a = initial, b = Unsafe.Add(ref initial, 1), c = Unsafe.Add(ref initial, 2), d = Unsafe.Add(ref initial, 3);
        uint e = Unsafe.Add(ref initial, 4), f = Unsafe.Add(ref initial, 5), g = Unsafe.Add(ref initial, 6), h = Unsafe.Add(ref initial, 7);

        // Eight rounds per pass with the roles of the eight words rotated instead of moving values between them.
        for (int i = 0; i < 64; i += 8)
        {
            Round(a, b, c, ref d, e, f, g, ref h, Unsafe.Add(ref k, i) + Unsafe.Add(ref w, i));
            Round(h, a, b, ref c, d, e, f, ref g, Unsafe.Add(ref k, i + 1) + Unsafe.Add(ref w, i + 1));
            Round(g, h, a, ref b, c, d, e, ref f, Unsafe.Add(ref k, i + 2) + Unsafe.Add(ref w, i + 2));
            Round(f, g, h, ref a, b, c, d, ref e, Unsafe.Add(ref k, i + 3) + Unsafe.Add(ref w, i + 3));
            Round(e, f, g, ref h, a, b, c, ref d, Unsafe.Add(ref k, i + 4) + Unsafe.Add(ref w, i + 4));
            Round(d, e, f, ref g, h, a, b, ref c, Unsafe.Add(ref k, i + 5) + Unsafe.Add(ref w, i + 5));
            Round(c, d, e, ref f, g, h, a, ref b, Unsafe.Add(ref k, i + 6) + Unsafe.Add(ref w, i + 6));
            Round(b, c, d, ref e, f, g, h, ref a, Unsafe.Add(ref k, i + 7) + Unsafe.Add(ref w, i + 7));
        }

        CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(schedule));
        return TokenHash.FromWords(
            Join(a + initial, b + Unsafe.Add(ref initial, 1)),
            Join(c + Unsafe.Add(ref initial, 2), d + Unsafe.Add(ref initial, 3)),
            Join(e + Unsafe.Add(ref initial, 4), f + Unsafe.Add(ref initial, 5)),
            Join(g + Unsafe.Add(ref initial, 6), h + Unsafe.Add(ref initial, 7)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round(uint a, uint b, uint c, ref uint d, uint e, uint f, uint g, ref uint h, uint constantPlusWord)
    {
        uint sum1 = BitOperations.RotateRight(e, 6) ^ BitOperations.RotateRight(e, 11) ^ BitOperations.RotateRight(e, 25);
        uint choose = g ^ (e & (f ^ g));
        uint t1 = h + sum1 + choose + constantPlusWord;
        uint sum0 = BitOperations.RotateRight(a, 2) ^ BitOperations.RotateRight(a, 13) ^ BitOperations.RotateRight(a, 22);
        uint majority = (a & b) | (c & (a | b));
        d += t1;
        h = t1 + sum0 + majority;
    }

    private static ulong Join(uint high, uint low) => ((ulong)high << 32) | low;

    /// <summary>⌊frac(p^(1/root)) · 2^32⌋ for the first <paramref name="count"/> primes p, from the integer root of p·2^(32·root).</summary>
    private static uint[] FractionalRootBits(int count, int root)
    {
        var bits = new uint[count];
        int found = 0;
        for (int candidate = 2; found < count; candidate++)
        {
            if (IsPrime(candidate))
            {
                BigInteger scaled = new BigInteger(candidate) << (32 * root);
                bits[found++] = (uint)(IntegerRoot(scaled, root) & uint.MaxValue);
            }
        }

        return bits;
    }

    private static bool IsPrime(int n)
    {
        for (int divisor = 2; divisor * divisor <= n; divisor++)
        {
            if (n % divisor == 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>⌊n^(1/root)⌋ by Newton's method from above.</summary>
    private static BigInteger IntegerRoot(BigInteger n, int root)
    {
        BigInteger x = BigInteger.One << (int)((n.GetBitLength() / root) + 1);
        while (true)
        {
            BigInteger next = (((root - 1) * x) + (n / BigInteger.Pow(x, root - 1))) / root;
            if (next >= x)
            {
                return x;
            }

            x = next;
        }
    }
}
