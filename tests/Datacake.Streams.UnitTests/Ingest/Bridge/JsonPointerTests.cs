using System.Text;
using CsCheck;
using Datacake.Streams.Ingest.Bridge;

namespace Datacake.Streams.UnitTests.Ingest.Bridge;

public class JsonPointerTests
{
    private const string Uplink = """
        {"end_device_ids":{"dev_eui":"70B3D57ED0000001","device_id":"field-7"},
         "readings":[{"id":17},{"id":"dev_x"}],
         "a/b":{"m~n":"escaped"},"empty":"","flag":true,"nothing":null,"nested":{"x":1}}
        """;

    [Theory]
    [InlineData("/end_device_ids/dev_eui", "70B3D57ED0000001")]
    [InlineData("/readings/0/id", "17")]
    [InlineData("/readings/1/id", "dev_x")]
    [InlineData("/a~1b/m~0n", "escaped")]
    [InlineData("/readings/2/id", null)]
    [InlineData("/readings/01/id", null)]
    [InlineData("/readings/-/id", null)]
    [InlineData("/missing", null)]
    [InlineData("/empty", null)]
    [InlineData("/flag", null)]
    [InlineData("/nothing", null)]
    [InlineData("/nested", null)]
    public void A_pointer_finds_strings_and_numbers_only(string pointer, string? expected)
    {
        Assert.True(JsonPointer.TryParse(pointer, out var parsed, out var error), error);
        Assert.Equal(expected is not null, parsed!.TryEvaluate(Encoding.UTF8.GetBytes(Uplink), out var value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("dev_eui")]
    [InlineData("/a~2")]
    [InlineData("/a~")]
    public void A_bad_pointer_is_refused(string pointer)
    {
        Assert.False(JsonPointer.TryParse(pointer, out var parsed, out var error));
        Assert.Null(parsed);
        Assert.NotNull(error);
    }

    [Fact]
    public void Any_payload_is_evaluated_without_throwing()
    {
        Assert.True(JsonPointer.TryParse("/a/0", out var pointer, out _));
        Gen.OneOf(Gen.Byte.Array[0, 64], Gen.String.Select(s => Encoding.UTF8.GetBytes(s)), Gen.Const(Encoding.UTF8.GetBytes("{\"a\":[\"x\"]}")))
            .Sample(bytes => !pointer!.TryEvaluate(bytes, out var value) || value == "x");

        var deep = Encoding.UTF8.GetBytes(new string('[', 1000) + new string(']', 1000));
        Assert.False(pointer!.TryEvaluate(deep, out _));
    }
}
