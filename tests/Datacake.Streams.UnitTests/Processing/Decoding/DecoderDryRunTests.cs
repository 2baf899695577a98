using Datacake.Streams.Access;
using Datacake.Streams.Processing.Decoding;

namespace Datacake.Streams.UnitTests.Processing.Decoding;

public sealed class DecoderDryRunTests
{
    private readonly DecoderDryRun _dryRun = new(new JavaScriptDecoder(new JavaScriptDecoderOptions()));

    [Fact]
    public void A_working_decoder_answers_its_fields()
    {
        var result = _dryRun.Run(new DecoderEntry("dec_1", "ws_1", UplinkFixtures.JsDecoderSource), [0x09, 0x29, 0x01], 5);

        Assert.True(result.Succeeded);
        Assert.Null(result.Error);
        Assert.Equal([("temperature", (object?)23.45), ("valve", true)], result.Fields.Select(f => (f.Name, f.Value)));
    }

    [Fact]
    public void A_failing_decoder_answers_the_error_a_record_would_get()
    {
        var result = _dryRun.Run(new DecoderEntry("dec_2", "ws_1", "function decodeUplink(i) { return { errors: ['need 3 bytes'] }; }"), [0x01], 1);

        Assert.False(result.Succeeded);
        Assert.Empty(result.Fields);
        Assert.Equal("decodeUplink errors: need 3 bytes", result.Error);
    }

    [Fact]
    public void CayenneLpp_dry_run()
    {
        var result = DecoderDryRun.RunCayenneLpp([0x01, 0x67, 0xFF, 0xD7]);

        Assert.True(result.Succeeded);
        Assert.Equal("temperature_1", Assert.Single(result.Fields).Name);
    }
}
