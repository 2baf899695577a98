using System.Globalization;
using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Processing.Decoding;
using Datacake.Streams.Processing.Dedup;
using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.Processing.Replay;
using Datacake.Streams.Processing.State;
using Datacake.Streams.Records;
using Datacake.Streams.Payloads.DeadLetters;

namespace Datacake.Streams.IntegrationTests.Processing;

/// <summary>
/// The pipeline with the production verdicts (<see cref="GuardedVerdicts"/>): replay guard and duplicate filter
/// persisted in a state folder on disk, uplink and device decoders, FasterLog on disk and the real influxd.
/// </summary>
public sealed class GuardedVerdictsTests : IDisposable
{
    // 03 67 0110 → temperature_3 = 27.2 °C; 05 67 00FF → temperature_5 = 25.5 °C (CayenneLPP, 0.1 °C per bit).
    private const string LppPayload = "A2cBEAVnAP8=";

    // 03 67 012C → temperature_3 = 30.0 °C.
    private const string OtherLppPayload = "A2cBLA==";

    private readonly string _stateDirectory = Path.Combine(Path.GetTempPath(), "dcs-state-" + Guid.NewGuid().ToString("N"));
    private readonly JavaScriptDecoder _javaScript = new(new JavaScriptDecoderOptions());

    public void Dispose()
    {
        if (Directory.Exists(_stateDirectory))
        {
            Directory.Delete(_stateDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task A_tts_uplink_with_frm_payload_and_a_cayennelpp_device_becomes_values_and_a_meta_point()
    {
        await using var h = await ProcessingHarness.StartAsync(partitions: 2);
        var (device, token) = AddDevice(h, CayenneLpp.DecoderId);
        var received = Truncate(DateTimeOffset.UtcNow.AddSeconds(-20));
        await h.AppendAsync(Tts(device, token, received, frameCounter: 7, LppPayload));

        var pipeline = h.StartPipeline(verdicts: Verdicts(h));
        await ProcessingHarness.WaitUntilAsync(() => pipeline.Progress.RecordsCommitted >= 1, "the uplink is committed");
        await pipeline.StopAsync();

        var values = await h.ValuesOfAsync(device);
        Assert.NotNull(values);
        Assert.Single(values.Values);
        Assert.Equal(Ns(received), values.GetInt64(0, "time"));
        Assert.Equal(27.2, values.GetDouble(0, "temperature_3"), 6);
        Assert.Equal(25.5, values.GetDouble(0, "temperature_5"), 6);

        var meta = await h.ValuesOfAsync(device, "meta");
        Assert.NotNull(meta);
        Assert.Single(meta.Values);
        Assert.Equal(Ns(received), meta.GetInt64(0, "time"));
        Assert.Equal(-97.0, meta.GetDouble(0, "rssi"));
        Assert.Equal(4.5, meta.GetDouble(0, "snr"));
        Assert.Equal(7.0, meta.GetDouble(0, "f_cnt"));
        Assert.Equal(1.0, meta.GetDouble(0, "f_port"));
        Assert.Empty(h.ReadDeadLetters());
        // Saved as a journal entry after the write (a snapshot comes only once the journal outgrows it): the
        // uplink's partition has a journal longer than its 17-byte header.
        Assert.Contains(Directory.GetFiles(_stateDirectory, "partition-*.journal"), path => new FileInfo(path).Length > 17);
    }

    [Fact]
    public async Task The_same_uplink_delivered_again_after_a_restart_writes_nothing_and_is_not_dead_lettered()
    {
        await using var h = await ProcessingHarness.StartAsync(partitions: 2);
        var (device, token) = AddDevice(h, CayenneLpp.DecoderId);
        var received = Truncate(DateTimeOffset.UtcNow.AddSeconds(-20));
        await h.AppendAsync(Tts(device, token, received, frameCounter: 7, LppPayload));

        var first = h.StartPipeline(verdicts: Verdicts(h));
        await ProcessingHarness.WaitUntilAsync(() => first.Progress.RecordsCommitted >= 1, "the first copy is committed");
        await first.StopAsync();

        // The second copy: a new record (received a second later through another path, other bytes) with the same
        // MessageId and frame counter. Written, it would add a second point; the in-memory verdicts would let it in.
        await h.AppendAsync(Tts(device, token, received.AddSeconds(1), frameCounter: 7, OtherLppPayload));
        var second = h.StartPipeline(verdicts: Verdicts(h));
        await ProcessingHarness.WaitUntilAsync(() => second.Progress.RecordsCommitted >= 1, "the second copy is committed");
        await second.StopAsync();

        Assert.Equal(1, second.Metrics.Duplicates);
        Assert.Equal(0, second.Metrics.Accepted);
        var values = await h.ValuesOfAsync(device);
        Assert.NotNull(values);
        Assert.Single(values.Values);
        Assert.Equal(27.2, values.GetDouble(0, "temperature_3"), 6);
        Assert.Empty(h.ReadDeadLetters());
        Assert.Equal(0, h.UncommittedRecords(ProcessingHarness.FastOptions.ConsumerGroup));
    }

    [Fact]
    public async Task A_frame_counter_going_back_without_a_new_session_after_a_restart_is_dead_lettered_replayed()
    {
        await using var h = await ProcessingHarness.StartAsync(partitions: 2);
        var (device, token) = AddDevice(h, CayenneLpp.DecoderId);
        var received = Truncate(DateTimeOffset.UtcNow.AddSeconds(-20));
        await h.AppendAsync(Tts(device, token, received, frameCounter: 10, LppPayload));

        var first = h.StartPipeline(verdicts: Verdicts(h));
        await ProcessingHarness.WaitUntilAsync(() => first.Progress.RecordsCommitted >= 1, "frame 10 is committed");
        await first.StopAsync();

        await h.AppendAsync(Tts(device, token, received.AddSeconds(5), frameCounter: 5, OtherLppPayload));
        var second = h.StartPipeline(verdicts: Verdicts(h));
        await ProcessingHarness.WaitUntilAsync(() => second.Progress.RecordsCommitted >= 1, "frame 5 is handled");
        await second.StopAsync();

        var letter = Assert.Single(h.ReadDeadLetters()).Letter;
        Assert.Equal(RejectReason.Replayed, letter.Reason);
        Assert.Contains("frame counter 5", letter.Detail, StringComparison.Ordinal);
        var values = await h.ValuesOfAsync(device);
        Assert.NotNull(values);
        Assert.Single(values.Values);
        Assert.Equal(Ns(received), values.GetInt64(0, "time"));
    }

    [Fact]
    public async Task A_message_written_before_that_comes_back_late_is_a_duplicate_and_a_reused_webhook_id_a_replay()
    {
        await using var h = await ProcessingHarness.StartAsync(partitions: 2);
        var (device, token) = AddDevice(h, CayenneLpp.DecoderId);
        var received = Truncate(DateTimeOffset.UtcNow.AddSeconds(-30));
        await h.AppendAsync(Tts(device, token, received, frameCounter: 10, LppPayload, webhookMessageId: "msg_10"));
        await h.AppendAsync(Tts(device, token, received.AddSeconds(10), frameCounter: 11, LppPayload, webhookMessageId: "msg_11"));
        var first = h.StartPipeline(verdicts: Verdicts(h));
        await ProcessingHarness.WaitUntilAsync(() => first.Progress.RecordsCommitted >= 2, "frames 10 and 11 are committed");
        await first.StopAsync();

        // Frame 10's webhook retried after frame 11 was written (same webhook-id, same message): its counter is
        // behind and its webhook-id known, yet it is that message again. Then frame 12 under frame 11's webhook-id.
        await h.AppendAsync(Tts(device, token, received.AddSeconds(1), frameCounter: 10, LppPayload, webhookMessageId: "msg_10"));
        await h.AppendAsync(Tts(device, token, received.AddSeconds(20), frameCounter: 12, OtherLppPayload, webhookMessageId: "msg_11"));
        var second = h.StartPipeline(verdicts: Verdicts(h));
        await ProcessingHarness.WaitUntilAsync(() => second.Progress.RecordsCommitted >= 2, "the retry and the reused id are handled");
        await second.StopAsync();

        Assert.Equal(1, second.Metrics.Duplicates);
        var letter = Assert.Single(h.ReadDeadLetters()).Letter;
        Assert.Equal(RejectReason.Replayed, letter.Reason);
        Assert.Contains("webhook-id msg_11", letter.Detail, StringComparison.Ordinal);
        var values = await h.ValuesOfAsync(device);
        Assert.NotNull(values);
        Assert.Equal(2, values.Values.Count);
    }

    [Fact]
    public async Task An_older_frame_or_a_reused_webhook_id_behind_a_record_not_yet_written_is_dead_lettered()
    {
        await using var h = await ProcessingHarness.StartAsync(partitions: 2);
        var (device, token) = AddDevice(h, CayenneLpp.DecoderId);
        var received = Truncate(DateTimeOffset.UtcNow.AddSeconds(-30));

        // All in the log before the pipeline starts: they are admitted before any of them is written.
        await h.AppendAsync(Tts(device, token, received, frameCounter: 11, LppPayload, webhookMessageId: "msg_a"));
        await h.AppendAsync(Tts(device, token, received.AddSeconds(1), frameCounter: 10, OtherLppPayload, webhookMessageId: "msg_b"));
        await h.AppendAsync(Tts(device, token, received.AddSeconds(2), frameCounter: 12, OtherLppPayload, webhookMessageId: "msg_a"));
        var pipeline = h.StartPipeline(verdicts: Verdicts(h));
        await ProcessingHarness.WaitUntilAsync(() => pipeline.Progress.RecordsCommitted >= 3, "the three frames are handled");
        await pipeline.StopAsync();

        var letters = h.ReadDeadLetters().Select(l => l.Letter).ToList();
        Assert.Equal(2, letters.Count);
        Assert.All(letters, l => Assert.Equal(RejectReason.Replayed, l.Reason));
        Assert.Contains(letters, l => l.Detail.Contains("frame counter 10", StringComparison.Ordinal));
        Assert.Contains(letters, l => l.Detail.Contains("webhook-id msg_a", StringComparison.Ordinal));
        var values = await h.ValuesOfAsync(device);
        Assert.NotNull(values);
        Assert.Single(values.Values);
        Assert.Equal(Ns(received), values.GetInt64(0, "time"));
    }

    [Fact]
    public async Task A_javascript_decoder_of_the_registry_decodes_raw_bytes()
    {
        await using var h = await ProcessingHarness.StartAsync(partitions: 2);
        h.Registry.Apply(new DecoderUpserted(new DecoderEntry("dec_valve", ProcessingHarness.Workspace, """
            function decodeUplink(input) {
              return { data: { temperature: ((input.bytes[0] << 8) | input.bytes[1]) / 100, valve: input.bytes[2] === 1, port: input.fPort } };
            }
            """)));
        var (device, token) = AddDevice(h, "dec_valve");
        var received = Truncate(DateTimeOffset.UtcNow.AddSeconds(-20));
        var record = new RawRecord
        {
            Version = RawRecord.CurrentVersion,
            DeviceId = device,
            Source = SourceKind.Http,
            ReceivedAtUnixNs = Ns(received),
            PayloadKind = PayloadKind.RawBytes,
            Payload = new byte[] { 0x08, 0x66, 0x01 },
            Port = 3,
            Credential = token,
            CredentialKind = CredentialKind.Token,
        };
        await h.AppendAsync(record);

        var pipeline = h.StartPipeline(verdicts: Verdicts(h));
        await ProcessingHarness.WaitUntilAsync(() => pipeline.Progress.RecordsCommitted >= 1, "the raw bytes are committed");
        await pipeline.StopAsync();

        Assert.Empty(h.ReadDeadLetters());
        var values = await h.ValuesOfAsync(device);
        Assert.NotNull(values);
        Assert.Single(values.Values);
        Assert.Equal(21.5, values.GetDouble(0, "temperature"), 6);
        Assert.True(values.GetBoolean(0, "valve"));
        Assert.Equal(3.0, values.GetDouble(0, "port"));
    }

    private static long Ns(DateTimeOffset time) => (time - DateTimeOffset.UnixEpoch).Ticks * 100;

    // InfluxDB answers times in RFC 3339 with ns precision; whole milliseconds keep the comparison exact.
    private static DateTimeOffset Truncate(DateTimeOffset time) => DateTimeOffset.FromUnixTimeMilliseconds(time.ToUnixTimeMilliseconds());

    private static (DeviceId Device, TokenHash Token) AddDevice(ProcessingHarness h, string decoderId)
    {
        var (device, token) = h.AddDevice();
        h.Registry.Apply(new DeviceUpserted(new DeviceEntry { Id = device, WorkspaceId = ProcessingHarness.Workspace, DecoderId = decoderId }));
        return (device, token);
    }

    private GuardedVerdicts Verdicts(ProcessingHarness h) => new(
        new PartitionStateStore(_stateDirectory),
        new ReplayGuardOptions(),
        new DuplicateFilterOptions(),
        TimeProvider.System,
        h.Registry,
        new UplinkDecoder(new DevicePayloadDecoder(h.Registry, _javaScript)));

    private static RawRecord Tts(DeviceId device, TokenHash token, DateTimeOffset received, uint frameCounter, string frmPayload, string? webhookMessageId = null)
    {
        const string devEui = "70B3D57ED0000001";
        const string session = "AYr2xQ6kW0bTn1nq3kWQ0g==";
        var json = $$"""
            {"end_device_ids":{"device_id":"eui-70b3d57ed0000001","dev_eui":"{{devEui}}","dev_addr":"260B1234"},
             "received_at":"{{received.ToString("O", CultureInfo.InvariantCulture)}}",
             "uplink_message":{"session_key_id":"{{session}}","f_port":1,"f_cnt":{{frameCounter}},"frm_payload":"{{frmPayload}}",
               "rx_metadata":[{"gateway_ids":{"gateway_id":"gw-1"},"rssi":-97,"snr":4.5} ] } }
            """;
        return new RawRecord
        {
            Version = RawRecord.CurrentVersion,
            DeviceId = device,
            Source = SourceKind.Tts,
            ReceivedAtUnixNs = Ns(received),
            MessageId = $"{devEui}/{session}/{frameCounter}",
            FrameCounter = frameCounter,
            Session = session,
            Port = 1,
            PayloadKind = PayloadKind.UplinkJson,
            Payload = Encoding.UTF8.GetBytes(json),
            Credential = token,
            CredentialKind = CredentialKind.Token,
            WebhookMessageId = webhookMessageId,
        };
    }
}
