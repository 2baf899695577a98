using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.RecordLog;
using Datacake.Streams.Payloads.DeadLetters;

namespace Datacake.Streams.UnitTests.Processing;

public sealed class DeadLetterAndOptionsTests
{
    [Fact]
    public void A_dead_letter_round_trips_with_its_reason_position_and_original_bytes()
    {
        var letter = new DeadLetterRecord(RejectReason.RejectedByStore, "field type conflict", new LogPosition(3, 12345), ProcessingRecords.Now, new byte[] { 0, 1, 2, 255 });
        var bytes = DeadLetterCodec.Encode(letter);
        Assert.Contains("\"reason\":\"rejected_by_store\"", System.Text.Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        Assert.True(DeadLetterCodec.TryDecode(bytes, out var decoded));
        Assert.Equal(letter.Reason, decoded!.Reason);
        Assert.Equal(letter.Detail, decoded.Detail);
        Assert.Equal(letter.Source, decoded.Source);
        Assert.Equal(letter.RejectedAt, decoded.RejectedAt);
        Assert.Equal(letter.Original.ToArray(), decoded.Original.ToArray());
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("""{"v":2,"reason":"bad_envelope","partition":0,"offset":0,"rejectedAt":"2026-01-01T00:00:00Z","record":""}""")]
    [InlineData("""{"v":1,"reason":"nope","partition":0,"offset":0,"rejectedAt":"2026-01-01T00:00:00Z","record":""}""")]
    public void Anything_else_is_not_a_dead_letter(string json)
    {
        Assert.False(DeadLetterCodec.TryDecode(System.Text.Encoding.UTF8.GetBytes(json), out _));
    }

    [Fact]
    public void Long_details_are_cut()
    {
        var letter = new DeadLetterRecord(RejectReason.DecodeFailed, new string('x', 5_000), new LogPosition(0, 0), ProcessingRecords.Now, Array.Empty<byte>());
        Assert.True(DeadLetterCodec.TryDecode(DeadLetterCodec.Encode(letter), out var decoded));
        Assert.Equal(DeadLetterCodec.MaxDetailLength, decoded!.Detail.Length);
    }

    [Fact]
    public void Every_reason_code_parses_back()
    {
        foreach (var reason in Enum.GetValues<RejectReason>())
        {
            Assert.True(RejectReasonCodes.TryParse(reason.Code(), out var parsed));
            Assert.Equal(reason, parsed);
        }
    }

    [Fact]
    public void Options_defaults_are_valid_and_bad_values_are_named()
    {
        var validator = new ProcessingOptionsValidator();
        Assert.True(validator.Validate(null, new ProcessingOptions()).Succeeded);
        Assert.Equal(TimeSpan.FromMinutes(5), new ProcessingOptions().MaxFutureSkew);
        var result = validator.Validate(null, new ProcessingOptions { BatchSize = 0, ConsumerGroup = " ", MaxFutureSkew = TimeSpan.Zero, WriteParallelism = 0 });
        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith("Processing:BatchSize", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Processing:ConsumerGroup", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Processing:MaxFutureSkew", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Processing:WriteParallelism", StringComparison.Ordinal));
    }
}
