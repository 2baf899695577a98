using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace Datacake.Streams.Processing.Dedup;

/// <summary>
/// 64-bit hashes of natural keys, sessions and webhook ids: state keeps 8 bytes per key instead of a string
/// (a TTS key "70b3d57ed0000001/AXAf.../42" is ~90 bytes as a .NET string). XxHash3 is stable across processes,
/// so snapshots taken by one process are valid in the next. With 256 keys per device window the chance that two
/// different keys of one device collide is about 256²/2^65 ≈ 2e-15.
/// </summary>
internal static class KeyHash
{
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
