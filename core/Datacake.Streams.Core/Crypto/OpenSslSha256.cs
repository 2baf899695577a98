using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Datacake.Streams.Crypto;

/// <summary>
/// OpenSSL's SHA-256 (<c>SHA256_Init</c>/<c>Update</c>/<c>Final</c> of libcrypto, the library .NET's own cryptography
/// loads on Linux) on a context held by the caller: no allocation, no error-queue handling per call, and a context can
/// be copied to resume from a saved state (what <see cref="HmacSha256Key"/> does with its padded key blocks, and
/// <see cref="HashData"/> with the initial state).
/// </summary>
/// <remarks>
/// These functions are deprecated in OpenSSL 3 in favour of EVP but exported and unchanged since 0.9.8; OpenSSL's own
/// HMAC copied such contexts the same way. <see cref="IsAvailable"/> is true only when the library loads, the three
/// exports resolve and a test message hashed in two parts gives what <see cref="SHA256.HashData(ReadOnlySpan{byte})"/>
/// gives.
/// </remarks>
internal static unsafe class OpenSslSha256
{
    // SHA256_CTX is 112 bytes (8 + 2 + 16 + 2 uints); 128 leaves room and keeps the copy two cache lines.
    private const int ContextBytes = 128;

    private static readonly delegate* unmanaged<Context*, int> s_init;
    private static readonly delegate* unmanaged<Context*, byte*, nuint, int> s_update;
    private static readonly delegate* unmanaged<byte*, Context*, int> s_final;

    // SHA256_Init's result, copied instead of calling it again for every one-shot hash.
    private static readonly Context s_initial;

#pragma warning disable CA1810 // The exports are resolved together and then checked; one static constructor says so.
    static OpenSslSha256()
#pragma warning restore CA1810
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        foreach (var name in (ReadOnlySpan<string>)["libcrypto.so.3", "libcrypto.so.1.1"])
        {
            if (NativeLibrary.TryLoad(name, out var library)
                && NativeLibrary.TryGetExport(library, "SHA256_Init", out var init)
                && NativeLibrary.TryGetExport(library, "SHA256_Update", out var update)
                && NativeLibrary.TryGetExport(library, "SHA256_Final", out var final))
            {
                s_init = (delegate* unmanaged<Context*, int>)init;
                s_update = (delegate* unmanaged<Context*, byte*, nuint, int>)update;
                s_final = (delegate* unmanaged<byte*, Context*, int>)final;
                IsAvailable = SelfTest();
                if (IsAvailable)
                {
                    s_initial = Init();
                }

                return;
            }
        }
    }

    public static bool IsAvailable { get; }

    /// <summary>
    /// SHA-256 of <paramref name="data"/> into the first 32 bytes of <paramref name="digest"/>: a copy of the saved
    /// initial state, one <c>Update</c>, one <c>Final</c>. For a 53-byte token 140–146 ns against 0.7–1.4 µs for
    /// <see cref="SHA256.HashData(ReadOnlySpan{byte}, Span{byte})"/> in the same runs (docs/BENCHMARKS.md, "Crypto
    /// primitives"): the BCL's call goes through OpenSSL's EVP layer and clears its error queue each time. That call is
    /// the fallback where libcrypto's exports are missing.
    /// </summary>
    public static void HashData(ReadOnlySpan<byte> data, Span<byte> digest)
    {
        if (!IsAvailable)
        {
            SHA256.HashData(data, digest);
            return;
        }

        var context = s_initial;
        Update(ref context, data);
        Final(ref context, digest);

        // The context's block buffer held the message's last bytes (a token, for TokenHash): not left on the stack.
        CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes((Span<ulong>)context));
    }

    public static Context Init()
    {
        var context = default(Context);
        if (s_init(&context) != 1)
        {
            throw new CryptographicException("SHA256_Init failed");
        }

        return context;
    }

    public static void Update(ref Context context, ReadOnlySpan<byte> data)
    {
        fixed (Context* c = &context)
        fixed (byte* d = data)
        {
            // SHA256_Update cannot fail on a valid context; its result is 1 always.
            s_update(c, d, (nuint)data.Length);
        }
    }

    public static void Final(ref Context context, Span<byte> digest)
    {
        if (digest.Length < 32)
        {
            throw new ArgumentException("a SHA-256 digest needs 32 bytes", nameof(digest));
        }

        fixed (Context* c = &context)
        fixed (byte* d = digest)
        {
            s_final(d, c);
        }
    }

    private static bool SelfTest()
    {
        Span<byte> message = stackalloc byte[200];
        for (var i = 0; i < message.Length; i++)
        {
            message[i] = (byte)(i * 31);
        }

        Span<byte> expected = stackalloc byte[32];
        Span<byte> actual = stackalloc byte[32];
        SHA256.HashData(message, expected);
        var context = Init();
        Update(ref context, message[..77]);
        var copy = context;
        Update(ref copy, message[77..]);
        Final(ref copy, actual);
        return actual.SequenceEqual(expected);
    }

    /// <summary>A SHA-256 context, as bytes the caller owns and may copy.</summary>
    [InlineArray(ContextBytes / sizeof(ulong))]
    public struct Context
    {
        private ulong _element;
    }
}
