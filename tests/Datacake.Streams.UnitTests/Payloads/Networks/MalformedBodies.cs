using System.Text;
using CsCheck;

namespace Datacake.Streams.UnitTests.Payloads.Networks;

/// <summary>
/// Generators of broken webhook bodies: a vendor fixture truncated, with bytes changed, with JSON fragments inserted
/// at random places, values swapped for wrong types, or bytes with no relation to JSON at all.
/// </summary>
internal static class MalformedBodies
{
    private static readonly string[] _fragments =
    [
        "{", "}", "[", "]", "\"", ",", ":", "null", "true", "-1", "1e999", "4294967296", "18446744073709551616", "-0.5",
        "\"\\u0000\"", "\\", "\"\\ud800\"", "{}", "[]", "\"70B3D57ED005A1B2\"", "\"x\":", "/*c*/", "\u00ff", "\ufeff", "\r\n",
        "\"f_cnt\":1,", "\"fCnt\":-3,", "\"dev_eui\":\"zz\",", "\"deduplicationId\":\"\",", "\"event\":[],", new string('[', 100),
    ];

    public static Gen<byte[]> From(byte[] seed)
    {
        var truncated = Gen.Int[0, seed.Length - 1].Select(i => seed[..i]);
        var changed = Gen.Select(Gen.Int[0, seed.Length - 1], Gen.Byte).Select((i, b) =>
        {
            var copy = (byte[])seed.Clone();
            copy[i] = b;
            return copy;
        });
        var inserted = Gen.Select(Gen.Int[0, seed.Length], Gen.Int[0, _fragments.Length - 1]).Select((i, f) =>
            seed[..i].Concat(Encoding.UTF8.GetBytes(_fragments[f])).Concat(seed[i..]).ToArray());
        var cut = Gen.Select(Gen.Int[0, seed.Length - 1], Gen.Int[1, 64]).Select((i, n) =>
            seed[..i].Concat(seed[Math.Min(seed.Length, i + n)..]).ToArray());
        var noise = Gen.Byte.Array[0, 400];
        var text = Gen.String[0, 200].Select(s => Encoding.UTF8.GetBytes(s));
        var one = Gen.OneOf(truncated, changed, inserted, cut, noise, text);

        // Up to three mutations on top of each other reach states one mutation does not.
        return Gen.Select(one, Gen.Int[0, 2], Gen.Int[0, seed.Length]).Select((body, extra, at) =>
        {
            for (var i = 0; i < extra && body.Length > 0; i++)
            {
                var position = at % body.Length;
                body = [.. body[..position], .. Encoding.UTF8.GetBytes(_fragments[(at + i) % _fragments.Length]), .. body[position..]];
            }

            return body;
        });
    }
}
