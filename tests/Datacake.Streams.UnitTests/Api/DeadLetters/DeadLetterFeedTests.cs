using Datacake.Streams.Access;
using Datacake.Streams.Api.DeadLetters;
using Datacake.Streams.Ids;
using Datacake.Streams.Payloads.DeadLetters;
using Datacake.Streams.RecordLog;
using Datacake.Streams.TestSupport;
using Datacake.Streams.UnitTests.Core.Access;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.UnitTests.Api.DeadLetters;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DeadLetterFeedTests
{
    [Fact]
    public async Task The_feed_goes_on_after_any_failure_reading_the_log_a_foreign_cancellation_included()
    {
        // The registry feed once lost its thread to a cancellation that was not its own stopping; this loop had the same
        // filter. Two logs: the registry feed reads one, the failures are injected into the other only.
        var registryLog = new InMemoryRecordLog(partitions: 1);
        var letters = new InMemoryRecordLog(partitions: 2);
        await using var registryFeed = new RegistryFeed(registryLog, new RegistryView(), TestRegistry.Codec(), new RegistryFeedOptions { PollTimeout = TimeSpan.FromMilliseconds(50) });
        await registryFeed.StartAsync();
        var options = Options.Create(new DeadLetterOptions());
        var index = new DeadLetterIndex(options);
        using var feed = new DeadLetterFeed(letters, index, registryFeed.View, registryFeed, options, TimeProvider.System, NullLogger<DeadLetterFeed>.Instance);

        letters.FailNextConsumes(2, () => new OperationCanceledException("a consumer's own cancellation"));
        await feed.StartAsync(CancellationToken.None);
        var device = DeviceId.New();
        var letter = new DeadLetterRecord(RejectReason.BadEnvelope, "after the failures", new LogPosition(0, 1), DateTimeOffset.UnixEpoch, ReadOnlyMemory<byte>.Empty);
        await letters.AppendAsync(LogTopics.DeadLetter, device.ToBytes(), DeadLetterCodec.Encode(letter));

        // The read count moves before the letter is indexed: wait for the index.
        Assert.True(SpinWait.SpinUntil(() => index.Newest(device, 10).Count == 1, TestDeadline.Wait), $"letters read: {feed.LettersRead}, failures: {feed.Failures}");
        Assert.Equal(2, feed.Failures);
        Assert.IsType<OperationCanceledException>(feed.LastError);
        Assert.Equal(["after the failures"], index.Newest(device, 10).Select(l => l.Detail));
        await feed.StopAsync(CancellationToken.None);
    }
}
