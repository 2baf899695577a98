using CsCheck;
using Datacake.Streams.Access;

namespace Datacake.Streams.UnitTests.Core.Access;

public sealed class TokenHashTableTests
{
    [Fact]
    public void Behaves_like_a_dictionary_under_any_sequence_of_sets_and_removes()
    {
        // Keys from a small pool, several sharing their first 8 bytes (the tag), so that collisions, tombstones and
        // re-insertions happen often; rebuilds happen as the table grows past its first 64 slots.
        var pool = Enumerable.Range(0, 200)
            .Select(i => TokenHash.FromWords((ulong)(i % 50), (ulong)i, 7, 9))
            .ToArray();
        var operation = Gen.Select(Gen.Int[0, pool.Length - 1], Gen.Int[0, 3]);

        operation.Array[1, 400].Sample(
            operations =>
            {
                var table = new TokenHashTable<Keyed>();
                var model = new Dictionary<TokenHash, Keyed>();
                foreach (var (index, kind) in operations)
                {
                    var key = pool[index];
                    if (kind == 0 && model.TryGetValue(key, out var current))
                    {
                        Assert.True(table.Remove(key, current));
                        model.Remove(key);
                    }
                    else if (kind == 1 && model.TryGetValue(key, out var stale))
                    {
                        // Removing with a value that is no longer the stored one leaves the entry.
                        Assert.False(table.Remove(key, new Keyed(key)));
                        Assert.Same(stale, table.TryGetValue(key, out var kept) ? kept : null);
                    }
                    else
                    {
                        var value = new Keyed(key);
                        table.Set(key, value);
                        model[key] = value;
                    }
                }

                Assert.Equal(model.Count, table.Count);
                foreach (var key in pool)
                {
                    var inModel = model.TryGetValue(key, out var expected);
                    Assert.Equal(inModel, table.TryGetValue(key, out var actual));
                    Assert.Same(expected, actual);
                }
            },
            iter: 2_000);
    }

    [Fact]
    public async Task Readers_always_find_keys_that_stay_while_a_writer_grows_and_shrinks_the_table()
    {
        var table = new TokenHashTable<Keyed>();
        var random = new Random(7);
        var stable = Enumerable.Range(0, 1_000).Select(_ => RandomHash(random)).ToArray();
        foreach (var key in stable)
        {
            table.Set(key, new Keyed(key));
        }

        var done = 0;
        var misses = 0;
        var passes = 0;
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            while (Volatile.Read(ref done) == 0)
            {
                foreach (var key in stable)
                {
                    if (!table.TryGetValue(key, out var found) || !found.IsKeyedBy(key))
                    {
                        Interlocked.Increment(ref misses);
                    }
                }

                Interlocked.Increment(ref passes);
            }
        })).ToArray();

        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref passes) > 0, TimeSpan.FromSeconds(30)), "the readers did not start");

        // The writer adds 100,000 keys (about a dozen rebuilds) and removes every other one again.
        var churn = Enumerable.Range(0, 100_000).Select(_ => RandomHash(random)).ToArray();
        var values = churn.Select(key => new Keyed(key)).ToArray();
        for (var i = 0; i < churn.Length; i++)
        {
            table.Set(churn[i], values[i]);
            if (i % 2 == 1)
            {
                Assert.True(table.Remove(churn[i - 1], values[i - 1]));
            }
        }

        Volatile.Write(ref done, 1);
        await Task.WhenAll(readers);
        Assert.Equal(0, misses);
        Assert.Equal(stable.Length + (churn.Length / 2), table.Count);
    }

    private static TokenHash RandomHash(Random random)
    {
        var bytes = new byte[TokenHash.ByteLength];
        random.NextBytes(bytes);
        return TokenHash.FromBytes(bytes);
    }

    private sealed class Keyed(TokenHash key) : ITokenHashKeyed
    {
        public bool IsKeyedBy(TokenHash hash) => hash == key;
    }
}
