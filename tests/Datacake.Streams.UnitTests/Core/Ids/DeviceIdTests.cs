using CsCheck;
using Datacake.Streams.Ids;

namespace Datacake.Streams.UnitTests.Core.Ids;

public class DeviceIdTests
{
    [Fact]
    public void Text_and_bytes_round_trip_for_any_128_bit_value()
    {
        Gen.Select(Gen.ULong, Gen.ULong).Sample((high, low) =>
        {
            var id = new DeviceId(high, low);
            var text = id.ToString();
            Assert.Equal(DeviceId.TextLength, text.Length);
            Assert.StartsWith(DeviceId.Prefix, text, StringComparison.Ordinal);
            Assert.True(DeviceId.TryParse(text, out var parsed));
            Assert.Equal(id, parsed);
            Assert.Equal(id, DeviceId.FromBytes(id.ToBytes()));
        });
    }

    [Fact]
    public void New_ids_differ()
    {
        var ids = Enumerable.Range(0, 10_000).Select(_ => DeviceId.New()).ToHashSet();
        Assert.Equal(10_000, ids.Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("dev_")]
    [InlineData("dev_0000000000000000000000000")]
    [InlineData("dev_00000000000000000000000000u")]
    [InlineData("dev_8zzzzzzzzzzzzzzzzzzzzzzzzz")]
    [InlineData("tok_0000000000000000000000000a")]
    [InlineData("dev_000000000000000000000000i0")]
    public void Malformed_text_is_refused(string text) => Assert.False(DeviceId.TryParse(text, out _));

    [Fact]
    public void Garbage_never_throws()
    {
        Gen.String.Sample(text => DeviceId.TryParse(text, out _) || true);
        Gen.String.Sample(text => !DeviceId.TryParse("dev_" + text, out var id) || id.ToString() == ("dev_" + text).ToLowerInvariant());
    }
}
