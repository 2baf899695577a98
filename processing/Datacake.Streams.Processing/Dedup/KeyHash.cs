using System.Buffers;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using Datacake.Streams.Records;

namespace Datacake.Streams.Processing.Dedup;

/// <summary>
/// 64-bit hashes of natural keys, sessions and webhook ids: state keeps 8 bytes per key instead of a string
/// (a TTS key "70b3d57ed0000001/AXAf.../42" is ~90 bytes as a .NET string). XxHash3 is stable across processes,
/// so snapshots taken by one process are valid in the next. With 256 keys per device window the chance that two
/// different keys of one device collide is about 256²/2^65 ≈ 2e-15.
/// </summary>
internal static class KeyHash
{
    // Message ids longer than this many UTF-16 code units are transcoded through a rented buffer (none of today's sources).
    private const int StackChars = 256;

    /// <summary>
    /// <see cref="Of(string?, long)"/> of the record's message id, without making the string of a decoded record: the
    /// UTF-8 bytes are transcoded to UTF-16 on the stack, so the hash is the one older state files hold.
    /// </summary>
    public static ulong OfMessageId(in RawRecord record)
    {
        if (!record.IsMessageIdUtf8)
        {
            return Of(record.MessageId);
        }

        var utf8 = record.MessageIdUtf8.Span;
        char[]? rented = null;
        var chars = utf8.Length <= StackChars ? stackalloc char[StackChars] : (rented = ArrayPool<char>.Shared.Rent(utf8.Length));
        try
        {
            var length = Encoding.UTF8.GetChars(utf8, chars);
            var hash = XxHash3.HashToUInt64(MemoryMarshal.AsBytes(chars[..length]));
            return hash == 0 ? 1 : hash;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Zero is reserved for "no key"; a real hash of zero is moved to one.</summary>
    public static ulong Of(string? text, long seed = 0)
    {
        if (text is null)
        {
            return 0;
        }

        var hash = XxHash3.HashToUInt64(MemoryMarshal.AsBytes(text.AsSpan()), seed);
        return hash == 0 ? 1 : hash;
    }
}
