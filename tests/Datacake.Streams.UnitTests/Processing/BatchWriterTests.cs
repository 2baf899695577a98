using System.Net;
using System.Text;
using Datacake.Streams.Ids;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Payloads.DeadLetters;
using Datacake.Streams.Processing.DeadLetter;
using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.Processing.Sink;
using Datacake.Streams.RecordLog;
using Datacake.Streams.Records;
using Datacake.Streams.Storage;
using Datacake.Streams.UnitTests.Core.Access;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.UnitTests.Processing;

/// <summary><see cref="BatchWriter"/> against an InfluxDB stand-in that answers 413 for any body holding an oversized record.</summary>
public sealed class BatchWriterTests
{
    private const string Oversized = "huge";

    [Fact]
    public async Task A_single_record_InfluxDB_refuses_as_too_large_is_dead_lettered_not_retried_for_ever()
    {
        var (writer, handler, log) = Writer();
        var big = Record(0, Oversized);
        var batch = Batch(big);

        var written = await writer.WriteAsync(batch, CancellationToken.None).WaitAsync(TestDeadline.Wait);

        Assert.Same(batch, written);
        Assert.Equal(RejectReason.RejectedByStore, big.Reason);
        Assert.Contains("HTTP 413", big.Detail, StringComparison.Ordinal);
        Assert.Single(handler.Bodies);
        var letter = Assert.Single(DeadLetters(log));
        Assert.Equal(RejectReason.RejectedByStore, letter.Reason);
        Assert.Equal(big.Position, letter.Source);
        Assert.Contains("larger than InfluxDB accepts", letter.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task In_a_batch_too_large_only_the_oversized_record_is_dead_lettered_and_the_others_are_written()
    {
        var (writer, handler, log) = Writer();
        var before = Record(0, "a");
        var big = Record(1, Oversized);
        var after = Record(2, "b");

        await writer.WriteAsync(Batch(before, big, after), CancellationToken.None).WaitAsync(TestDeadline.Wait);

        Assert.False(before.IsRejected);
        Assert.False(after.IsRejected);
        Assert.Equal(RejectReason.RejectedByStore, big.Reason);
        Assert.Contains(handler.Accepted, b => b.Contains("m,d=a ", StringComparison.Ordinal));
        Assert.Contains(handler.Accepted, b => b.Contains("m,d=b ", StringComparison.Ordinal));
        Assert.DoesNotContain(handler.Accepted, b => b.Contains(Oversized, StringComparison.Ordinal));
        Assert.Equal(big.Position, Assert.Single(DeadLetters(log)).Source);
    }

    [Fact]
    public async Task A_late_record_carries_its_rollup_mark_in_the_same_request_and_a_fresh_one_none()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        var (writer, handler, _) = Writer(time);
        long nowNs = 1_800_000_000L * 1_000_000_000;
        var late = DeviceId.New();
        var fresh = DeviceId.New();
        var eightDaysLate = Timed(Record(0, "a"), late, nowNs - (8L * 86_400 * 1_000_000_000), nowNs - (8L * 86_400 * 1_000_000_000) + 5);
        var alsoLate = Timed(Record(1, "b"), late, nowNs - 3_600_000_000_000, nowNs - 3_600_000_000_000);
        var onTime = Timed(Record(2, "c"), fresh, nowNs - 1_000_000_000, nowNs - 1_000_000_000);

        await writer.WriteAsync(Batch(eightDaysLate, alsoLate, onTime), CancellationToken.None).WaitAsync(TestDeadline.Wait);

        string body = Assert.Single(handler.Accepted);
        Assert.StartsWith("m,d=a ", body, StringComparison.Ordinal);
        // One mark per day of the late points (2027-01-07 and 2027-01-15), not one span over the eight days between.
        Assert.Equal(
            [
                $"{RollupMarks.Measurement},day=2027-01-07,device={late} from={nowNs - (8L * 86_400 * 1_000_000_000)}i,to={nowNs - (8L * 86_400 * 1_000_000_000) + 5}i {nowNs}",
                $"{RollupMarks.Measurement},day=2027-01-15,device={late} from={nowNs - 3_600_000_000_000}i,to={nowNs - 3_600_000_000_000}i {nowNs + 1}",
            ],
            body.Split('\n').Where(l => l.StartsWith(RollupMarks.Measurement, StringComparison.Ordinal)));
        Assert.DoesNotContain(fresh.ToString(), body, StringComparison.Ordinal);

        handler.Accepted.Clear();
        await writer.WriteAsync(Batch(Timed(Record(3, "d"), fresh, nowNs - 29_000_000_000, nowNs)), CancellationToken.None).WaitAsync(TestDeadline.Wait);
        Assert.DoesNotContain(RollupMarks.Measurement, Assert.Single(handler.Accepted), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_record_with_points_a_month_apart_marks_each_day_not_the_month_between()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        var (writer, handler, _) = Writer(time);
        long nowNs = 1_800_000_000L * 1_000_000_000;
        long monthAgo = nowNs - (28L * 86_400 * 1_000_000_000);
        var device = DeviceId.New();
        var record = Timed(Record(0, "a"), device, monthAgo, nowNs - 60_000_000_000);
        record.DaySpans = [(monthAgo, monthAgo + 7), (nowNs - 120_000_000_000, nowNs - 60_000_000_000)];

        await writer.WriteAsync(Batch(record), CancellationToken.None).WaitAsync(TestDeadline.Wait);

        Assert.Equal(
            [
                $"{RollupMarks.Measurement},day=2026-12-18,device={device} from={monthAgo}i,to={monthAgo + 7}i {nowNs}",
                $"{RollupMarks.Measurement},day=2027-01-15,device={device} from={nowNs - 120_000_000_000}i,to={nowNs - 60_000_000_000}i {nowNs + 1}",
            ],
            Assert.Single(handler.Accepted).Split('\n').Where(l => l.StartsWith(RollupMarks.Measurement, StringComparison.Ordinal)));
    }

    private static PipelineRecord Timed(PipelineRecord record, DeviceId device, long earliestNs, long latestNs)
    {
        record.Raw = new RawRecord { DeviceId = device };
        record.HasEnvelope = true;
        record.EarliestNs = earliestNs;
        record.LatestNs = latestNs;
        return record;
    }

    private static (BatchWriter Writer, TooLargeHandler Handler, InMemoryRecordLog Log) Writer(FakeTimeProvider? clock = null)
    {
        var handler = new TooLargeHandler();
        var time = clock ?? new FakeTimeProvider();
        var influx = new InfluxClient(
            new HttpClient(handler),
            new InfluxOptions { Url = new Uri("http://influx.test:8086"), Database = "db", MaxRetries = 0, MaxBodyBytes = 0 },
            time);
        var log = new InMemoryRecordLog(1);
        return (new BatchWriter(influx, new DeadLetterPublisher(log, time), new ProcessingOptions(), new ProcessingMetrics(), time), handler, log);
    }

    private static PipelineRecord Record(long offset, string device)
    {
        var record = new PipelineRecord(new LogRecord(LogTopics.Raw, new LogPosition(0, offset), Encoding.UTF8.GetBytes(device), new byte[] { 1 }), 1)
        {
            ValuesLines = Encoding.UTF8.GetBytes($"m,d={device} f=1 {offset + 1}\n"),
            ValuesCount = 1,
        };
        return record;
    }

    private static WriteBatch Batch(params PipelineRecord[] records) => new()
    {
        Values = records,
        Meta = [],
        DeadLetters = [],
        Commits = [],
        Records = records.Length,
    };

    private static List<DeadLetterRecord> DeadLetters(InMemoryRecordLog log)
    {
        using var consumer = log.Subscribe(LogTopics.DeadLetter, "reader");
        var letters = new List<DeadLetterRecord>();
        while (consumer.Consume(TimeSpan.FromMilliseconds(50)) is { } record)
        {
            Assert.True(DeadLetterCodec.TryDecode(record.Value.Span, out var letter));
            letters.Add(letter!);
        }

        return letters;
    }

    /// <summary>influxd with a body limit only the oversized record's line breaks: 413 for a body holding it, else 204.</summary>
    private sealed class TooLargeHandler : HttpMessageHandler
    {
        public List<string> Bodies { get; } = [];

        public List<string> Accepted { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? string.Empty : await request.Content.ReadAsStringAsync(cancellationToken);
            lock (Bodies)
            {
                Bodies.Add(body);
                if (body.Contains(Oversized, StringComparison.Ordinal))
                {
                    return new HttpResponseMessage(HttpStatusCode.RequestEntityTooLarge) { Content = new StringContent("""{"error":"Request Entity Too Large"}""") };
                }

                Accepted.Add(body);
                return new HttpResponseMessage(HttpStatusCode.NoContent);
            }
        }
    }
}
