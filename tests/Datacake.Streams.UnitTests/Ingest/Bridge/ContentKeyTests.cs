using System.Text;
using CsCheck;
using Datacake.Streams.Ingest.Bridge;

namespace Datacake.Streams.UnitTests.Ingest.Bridge;

public class ContentKeyTests
{
    [Fact]
    public void A_redelivered_message_gets_the_same_key_and_any_change_a_new_one()
    {
        using var key = new ContentKey();
        var payload = Encoding.UTF8.GetBytes("""{"t":21.5}""");
        var first = key.Of("sensors/a/up", payload);

        Assert.StartsWith(ContentKey.Prefix, first, StringComparison.Ordinal);
        Assert.Equal(ContentKey.Prefix.Length + 32, first.Length);
        Assert.Equal(first, key.Of("sensors/a/up", payload));
        Assert.NotEqual(first, key.Of("sensors/b/up", payload));
        Assert.NotEqual(first, key.Of("sensors/a/up", Encoding.UTF8.GetBytes("""{"t":21.6}""")));

        // Where the topic ends and the payload begins is part of the key.
        Assert.NotEqual(key.Of("ab", "c"u8), key.Of("a", "bc"u8));
    }

    [Fact]
    public void Keys_do_not_depend_on_the_instance_or_what_it_hashed_before()
    {
        using var one = new ContentKey();
        using var other = new ContentKey();
        Gen.Select(Gen.String[1, 40], Gen.Byte.Array[0, 100]).Sample((topic, payload) =>
        {
            one.Of("warm-up", [1, 2, 3]);
            return one.Of(topic, payload) == other.Of(topic, payload);
        }, threads: 1); // a ContentKey is one connection's: not thread-safe, and CsCheck samples on several threads
    }
}
