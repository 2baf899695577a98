using System.Globalization;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.RecordLog;
using Datacake.Streams.Records;
using Datacake.Streams.Payloads.DeadLetters;

namespace Datacake.Streams.IntegrationTests.Processing;

/// <summary>The pipeline from a FasterLog on disk to the real influxd.</summary>
public sealed class ProcessingPipelineTests
{
    private static long Ns(DateTimeOffset time) => (time - DateTimeOffset.UnixEpoch).Ticks * 100;

    [Fact]
    public async Task Appended_records_become_points_with_device_tag_fields_and_timestamps_and_are_committed()
    {
        await using var h = await ProcessingHarness.StartAsync();
        var (a, tokenA) = h.AddDevice();
        var (b, tokenB) = h.AddDevice();
        var now = DateTimeOffset.UtcNow;
        var received = now.AddSeconds(-30);
        var deviceTime = now.AddMinutes(-5);
        var entryTime = now.AddMinutes(-10);

        // A plain object (receive time), one with device time, and an array with its own times.
        await h.AppendAsync(ProcessingHarness.Json(a, tokenA, """{"temperature":21,"env":{"h":40.5,"ok":true},"accel":[1,2.5],"label":"x\"y"}""", received));
        await h.AppendAsync(ProcessingHarness.Json(a, tokenA, """{"temperature":21.5}""", received, deviceTimeNs: Ns(deviceTime)));
        var entries = "[{\"time\":\"" + entryTime.ToString("O", CultureInfo.InvariantCulture) + "\",\"values\":{\"t\":1}},{\"time\":"
            + entryTime.AddSeconds(1).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) + ",\"values\":{\"t\":2}}]";
        await h.AppendAsync(ProcessingHarness.Json(b, tokenB, entries, received));

        var pipeline = h.StartPipeline();
        await ProcessingHarness.WaitUntilAsync(() => pipeline.Progress.RecordsCommitted >= 3, "3 records are committed");
        await pipeline.StopAsync();

        var seriesA = await h.ValuesOfAsync(a);
        Assert.NotNull(seriesA);
        Assert.Equal(2, seriesA.Values.Count);
        Assert.Equal(Ns(deviceTime) / 100, seriesA.GetInt64(0, "time") / 100);
        Assert.Equal(21.5, seriesA.GetDouble(0, "temperature"));
        Assert.Equal(Ns(received), seriesA.GetInt64(1, "time"));
        Assert.Equal(21.0, seriesA.GetDouble(1, "temperature"));
        Assert.Equal(40.5, seriesA.GetDouble(1, "env.h"));
        Assert.True(seriesA.GetBoolean(1, "env.ok"));
        Assert.Equal(2.5, seriesA.GetDouble(1, "accel.1"));
        Assert.Equal("x\"y", seriesA.GetString(1, "label"));
        Assert.Equal(a.ToString(), seriesA.GetString(1, "device"));

        var seriesB = await h.ValuesOfAsync(b);
        Assert.NotNull(seriesB);
        Assert.Equal([Ns(entryTime) / 1_000_000, Ns(entryTime.AddSeconds(1)) / 1_000_000], [seriesB.GetInt64(0, "time") / 1_000_000, seriesB.GetInt64(1, "time") / 1_000_000]);
        Assert.Equal([1.0, 2.0], [seriesB.GetDouble(0, "t"), seriesB.GetDouble(1, "t")]);

        // Each device has its own measurement, whose only tag is the device id: no workspace or credential reaches InfluxDB.
        var tags = await h.Influx.QueryAsync($"SHOW TAG KEYS FROM \"raw\"./^(?:{a}|{b})$/", h.Database);
        Assert.Equal(new[] { a.ToString(), b.ToString() }.Order(StringComparer.Ordinal), tags.Statements.SelectMany(s => s.Series).Select(s => s.Name).Order(StringComparer.Ordinal));
        Assert.Equal(["device"], tags.Statements.SelectMany(s => s.Series).SelectMany(s => s.Values).Select(v => v[0].GetString()).Distinct());

        Assert.Equal(0, h.UncommittedRecords(ProcessingHarness.FastOptions.ConsumerGroup));
        Assert.Empty(h.ReadDeadLetters());
    }

    [Fact]
    public async Task Every_rejection_reason_dead_letters_the_record_and_writes_no_point()
    {
        await using var h = await ProcessingHarness.StartAsync();
        var now = DateTimeOffset.UtcNow;
        var (good, goodToken) = h.AddDevice();
        var (other, _) = h.AddDevice();
        var revokedAt = now.AddMinutes(-1);
        var (revoked, revokedToken) = h.AddDevice(tokenRevokedAt: revokedAt);
        var (deleted, deletedToken) = h.AddDevice();
        h.Registry.Apply(new DeviceUpserted(new DeviceEntry { Id = deleted, WorkspaceId = ProcessingHarness.Workspace, DeletedAt = now.AddMinutes(-2) }));

        var expected = new Dictionary<RejectReason, DeviceId>();
        async Task AppendRejected(RejectReason reason, RawRecord record)
        {
            expected[reason] = record.DeviceId;
            await h.AppendAsync(record);
        }

        // bad_envelope: bytes that are no envelope, keyed by a device id.
        var garbageDevice = DeviceId.New();
        await h.Log.AppendAsync(LogTopics.Raw, garbageDevice.ToBytes(), new byte[] { 0xFF, 0xFF, 0xFF });
        expected[RejectReason.BadEnvelope] = garbageDevice;

        // bad_signature: signed with a key this processor does not know.
        var stranger = new AdapterSigner(AdapterKeyring.CreateRandom(keyId: 1));
        var forged = ProcessingHarness.Json(good, goodToken, """{"t":1}""", now);
        await h.Log.AppendAsync(LogTopics.Raw, good.ToBytes(), stranger.EncodeSigned(forged));
        expected[RejectReason.BadSignature] = good;

        await AppendRejected(RejectReason.UnknownCredential, ProcessingHarness.Json(other, TokenHash.Of(AccessToken.New().Secret), """{"t":1}""", now));
        await AppendRejected(RejectReason.NotAuthorized, ProcessingHarness.Json(other, goodToken, """{"t":1}""", now));
        await AppendRejected(RejectReason.TooOld, ProcessingHarness.Json(good, goodToken, """{"t":1}""", now, deviceTimeNs: Ns(now.AddDays(-60))));
        await AppendRejected(RejectReason.TooFarInFuture, ProcessingHarness.Json(good, goodToken, """{"t":1}""", now, deviceTimeNs: Ns(now.AddHours(1))));
        await AppendRejected(RejectReason.DecodeFailed, ProcessingHarness.Json(good, goodToken, """{"t":null}""", now));

        // replayed: a frame counter below the last accepted one of the session.
        var uplink = ProcessingHarness.Json(good, goodToken, """{"f":1}""", now) with { FrameCounter = 10, Session = "s1", Source = SourceKind.Tts };
        await h.AppendAsync(uplink);
        await AppendRejected(RejectReason.Replayed, uplink with { FrameCounter = 9, Payload = "{\"f\":2}"u8.ToArray(), ReceivedAtUnixNs = uplink.ReceivedAtUnixNs + 1 });

        // duplicate: the same message id twice gives one point and no dead letter.
        var first = ProcessingHarness.Json(good, goodToken, """{"d":1}""", now.AddSeconds(-1), messageId: "idem-1");
        await h.AppendAsync(first);
        await h.AppendAsync(first);

        // A token revoked at T: before T written, after T refused; a deleted device refuses writes.
        await h.AppendAsync(ProcessingHarness.Json(revoked, revokedToken, """{"before":1}""", revokedAt.AddSeconds(-10)));
        await AppendRejected(RejectReason.NotAuthorized, ProcessingHarness.Json(revoked, revokedToken, """{"after":1}""", revokedAt.AddSeconds(10)));
        await h.AppendAsync(ProcessingHarness.Json(deleted, deletedToken, """{"gone":1}""", now));

        var pipeline = h.StartPipeline();
        await ProcessingHarness.WaitUntilAsync(() => pipeline.Progress.RecordsCommitted >= 14, "14 records are committed");

        // rejected_by_store: a string where a float was written before is a field type conflict.
        await h.AppendAsync(ProcessingHarness.Json(good, goodToken, """{"f":"text"}""", now.AddSeconds(-2)));
        expected[RejectReason.RejectedByStore] = good;
        await ProcessingHarness.WaitUntilAsync(() => pipeline.Progress.RecordsCommitted >= 15, "15 records are committed");
        await pipeline.StopAsync();

        var letters = h.ReadDeadLetters();
        var byReason = letters.GroupBy(l => l.Letter.Reason).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var (reason, device) in expected)
        {
            Assert.True(byReason.ContainsKey(reason), $"no dead letter for {reason.Code()}; got {string.Join(", ", letters.Select(l => l.Letter.Reason.Code() + ": " + l.Letter.Detail))}");
            Assert.Contains(byReason[reason], l => DeviceId.FromBytes(l.Key.Span) == device);
        }

        Assert.Equal(3, byReason[RejectReason.NotAuthorized].Count);
        Assert.DoesNotContain(RejectReason.Duplicate, byReason.Keys);
        Assert.Equal(11, letters.Count);
        Assert.All(letters, l => Assert.NotEqual(0, l.Letter.Original.Length));
        Assert.Equal(1, pipeline.Metrics.Duplicates);

        // Points: good got f=1 (uplink) and d=1 (once); the revoked token's early record; nothing else.
        var goodSeries = await h.ValuesOfAsync(good);
        Assert.NotNull(goodSeries);
        Assert.Equal(2, goodSeries.Values.Count);
        Assert.Null(await h.ValuesOfAsync(other));
        Assert.Null(await h.ValuesOfAsync(deleted));
        var revokedSeries = await h.ValuesOfAsync(revoked);
        Assert.NotNull(revokedSeries);
        Assert.Single(revokedSeries.Values);
        Assert.Equal(1.0, revokedSeries.GetDouble(0, "before"));
        Assert.Equal(0, h.UncommittedRecords(ProcessingHarness.FastOptions.ConsumerGroup));
    }

    [Fact]
    public async Task A_missing_retention_policy_pauses_processing_without_committing_and_everything_is_written_once_it_exists()
    {
        await using var h = await ProcessingHarness.StartAsync(createRetentionPolicies: false);
        var (device, token) = h.AddDevice();
        var start = DateTimeOffset.UtcNow.AddMinutes(-30);
        const int count = 300;
        for (var i = 0; i < count; i++)
        {
            await h.AppendAsync(ProcessingHarness.Json(device, token, "{\"n\":" + i.ToString(CultureInfo.InvariantCulture) + "}", start.AddMilliseconds(i)));
        }

        var pipeline = h.StartPipeline(ProcessingHarness.FastOptions with { BatchSize = 50, ReadAhead = 16 });
        await ProcessingHarness.WaitUntilAsync(() => pipeline.Metrics.WriteErrors >= 3, "writes fail 3 times");
        Assert.Empty(pipeline.Progress.Committed);
        Assert.Equal(0, pipeline.Progress.RecordsCommitted);

        // Backpressure: with 50-point batches, 2 writes in flight and 16 records read ahead, reading stops far before the end.
        Assert.True(pipeline.Metrics.RecordsIn < count, $"read {pipeline.Metrics.RecordsIn} of {count} while InfluxDB refused every write");

        await ProcessingHarness.CreateRetentionPoliciesAsync(h.Influx, h.Database);
        await ProcessingHarness.WaitUntilAsync(() => pipeline.Progress.RecordsCommitted >= count, $"{count} records are committed");
        await pipeline.StopAsync();

        // The dead letters first: a record refused on the way is the likeliest reason for a point missing below.
        Assert.Empty(h.ReadDeadLetters().Select(l => $"{l.Letter.Reason} at {l.Letter.Source}: {l.Letter.Detail}"));
        var series = await h.ValuesOfAsync(device);
        Assert.NotNull(series);
        Assert.Equal(count, series.Values.Count);
        Assert.Equal(Enumerable.Range(0, count).Select(i => (double)i), series.Values.Select((_, row) => series.GetDouble(row, "n")));
        Assert.Equal(0, h.UncommittedRecords(ProcessingHarness.FastOptions.ConsumerGroup));
    }

    [Fact]
    public async Task An_unreachable_influxd_commits_nothing_and_a_restarted_pipeline_writes_everything_exactly_once()
    {
        await using var h = await ProcessingHarness.StartAsync();
        var (device, token) = h.AddDevice();
        var start = DateTimeOffset.UtcNow.AddMinutes(-30);
        const int count = 200;
        for (var i = 0; i < count; i++)
        {
            await h.AppendAsync(ProcessingHarness.Json(device, token, "{\"n\":" + i.ToString(CultureInfo.InvariantCulture) + "}", start.AddMilliseconds(i)));
        }

        // Port 9 (discard) on loopback: nothing listens, connections are refused at once.
        var closed = h.Client(o => o with { Url = new Uri("http://127.0.0.1:9"), RequestTimeout = TimeSpan.FromSeconds(2) });
        var down = h.StartPipeline(ProcessingHarness.FastOptions with { BatchSize = 20, ReadAhead = 8 }, closed);
        await ProcessingHarness.WaitUntilAsync(() => down.Metrics.WriteErrors >= 3, "writes fail 3 times");
        Assert.Empty(down.Progress.Committed);
        Assert.True(down.Metrics.RecordsIn < count, $"read {down.Metrics.RecordsIn} of {count} while InfluxDB was unreachable");
        down.Kill();

        var up = h.StartPipeline();
        await ProcessingHarness.WaitUntilAsync(() => up.Progress.RecordsCommitted >= count, $"{count} records are committed");
        await up.StopAsync();
        var series = await h.ValuesOfAsync(device);
        Assert.NotNull(series);
        Assert.Equal(count, series.Values.Count);
        Assert.Equal(0, h.UncommittedRecords(ProcessingHarness.FastOptions.ConsumerGroup));
    }

    [Fact]
    public async Task A_killed_pipeline_resumes_from_committed_positions_without_loss()
    {
        await using var h = await ProcessingHarness.StartAsync();
        var devices = Enumerable.Range(0, 8).Select(_ => h.AddDevice()).ToArray();
        var start = DateTimeOffset.UtcNow.AddMinutes(-30);
        const int count = 2_000;
        for (var i = 0; i < count; i++)
        {
            var (device, token) = devices[i % devices.Length];
            await h.AppendAsync(ProcessingHarness.Json(device, token, "{\"n\":" + i.ToString(CultureInfo.InvariantCulture) + "}", start.AddMilliseconds(i)));
        }

        // Batches of 10 points: 200 writes to influxd, so the kill right after the first commit lands mid-way
        // (with batches of 100 a fast pipeline could commit all 2,000 records before the kill).
        var first = h.StartPipeline(ProcessingHarness.FastOptions with { BatchSize = 10 });
        await ProcessingHarness.WaitUntilAsync(() => first.Progress.Committed.Count > 0, "the first pipeline commits");
        first.Kill();
        var committedByFirst = first.Progress.Committed.ToDictionary();
        Assert.True(first.Progress.RecordsCommitted < count, "the first pipeline finished before it was killed: nothing left to resume");

        var second = h.StartPipeline();
        await ProcessingHarness.WaitUntilAsync(async () => await h.CountPointsAsync() == count, $"{count} points are in InfluxDB");
        await ProcessingHarness.WaitUntilAsync(() => second.Metrics.RecordsIn > 0 && second.Progress.RecordsCommitted >= second.Metrics.RecordsIn, "the second pipeline committed what it read");
        await second.StopAsync();

        // Resumed after the first one's commits, not from the beginning.
        Assert.True(second.Metrics.RecordsIn < count, $"the restarted pipeline read {second.Metrics.RecordsIn} records, committed before: {string.Join(",", committedByFirst)}");
        Assert.Equal(count, await h.CountPointsAsync());
        Assert.Equal(0, h.UncommittedRecords(ProcessingHarness.FastOptions.ConsumerGroup));
    }

    [Fact]
    public async Task Two_pipelines_in_one_consumer_group_split_the_partitions()
    {
        await using var h = await ProcessingHarness.StartAsync(partitions: 4);
        var first = h.StartPipeline();
        var second = h.StartPipeline();
        await ProcessingHarness.WaitUntilAsync(
            () => first.Progress.Assignment.Count == 2 && second.Progress.Assignment.Count == 2,
            "each pipeline owns two partitions");
        Assert.Empty(first.Progress.Assignment.Intersect(second.Progress.Assignment));

        var devices = Enumerable.Range(0, 32).Select(_ => h.AddDevice()).ToArray();
        var start = DateTimeOffset.UtcNow.AddMinutes(-30);
        const int count = 640;
        for (var i = 0; i < count; i++)
        {
            var (device, token) = devices[i % devices.Length];
            await h.AppendAsync(ProcessingHarness.Json(device, token, "{\"n\":" + i.ToString(CultureInfo.InvariantCulture) + "}", start.AddMilliseconds(i)));
        }

        await ProcessingHarness.WaitUntilAsync(() => first.Progress.RecordsCommitted + second.Progress.RecordsCommitted >= count, $"{count} records are committed");
        Assert.True(first.Metrics.RecordsIn > 0 && second.Metrics.RecordsIn > 0, $"first read {first.Metrics.RecordsIn}, second {second.Metrics.RecordsIn}");
        Assert.Equal(count, first.Metrics.RecordsIn + second.Metrics.RecordsIn);
        Assert.Empty(first.Progress.Committed.Keys.Intersect(second.Progress.Committed.Keys));
        await first.StopAsync();
        await second.StopAsync();
        Assert.Equal(count, await h.CountPointsAsync());
    }
}
