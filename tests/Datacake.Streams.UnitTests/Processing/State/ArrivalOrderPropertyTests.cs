using CsCheck;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Payloads.DeadLetters;
using Datacake.Streams.Processing.Decoding;
using Datacake.Streams.Processing.Dedup;
using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.Processing.Replay;
using Datacake.Streams.Processing.State;
using Datacake.Streams.RecordLog;
using Datacake.Streams.Records;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.UnitTests.Processing.State;

/// <summary>
/// One device's uplinks arriving in generated orders (any message any number of times, forged messages reusing a
/// message's webhook-id, writes after any number of records, restarts at any point with records admitted and not yet
/// written) through the partition state on disk, each verdict against a model a few lines long.
/// </summary>
public sealed class ArrivalOrderPropertyTests : IDisposable
{
    private static readonly DateTimeOffset _now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "dcs-arrival-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(_now);
    private readonly RegistryView _registry = new();

    private enum Step
    {
        Deliver,
        Forge,
        Write,
        Restart,
    }

    private enum Expected
    {
        Stored,
        Duplicate,
        Replayed,
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    [Trait("Reliability", "dedup-replay-properties")]
    public void Any_arrival_order_with_copies_forgeries_and_restarts_gives_the_models_verdicts_and_stores_each_message_once()
    {
        // Messages: a rising frame counter each (odd, from anywhere below 2^17 so that some cross 65,535; forged ones
        // get even counters, so that two messages never share one) and whether it came with a webhook-id.
        var messages = Gen.Select(Gen.UInt[0, 100_000], Gen.UInt[1, 3_000].Array[1, 24], Gen.Bool.Array[24]);
        var step = Gen.Select(Gen.Int[0, 99], Gen.Int[0, 23], Gen.UInt[0, 200_000]);
        Gen.Select(messages, step.Array[1, 80], Gen.Int[1, 4]).Sample((m, steps, crashEvery) =>
        {
            var (start, gaps, signed) = m;
            var counters = new uint[gaps.Length];
            var counter = start | 1;
            for (var i = 0; i < gaps.Length; i++)
            {
                counter += 2 * gaps[i];
                counters[i] = counter;
            }

            Run(counters, signed, steps, crashEvery);
        }, iter: 200);
    }

    private void Run(uint[] counters, bool[] signed, (int Kind, int Message, uint Counter)[] steps, int crashEvery)
    {
        var device = DeviceId.New();
        var verdicts = Verdicts(new PartitionStateStore(Path.Combine(_directory, Guid.NewGuid().ToString("N"))) { MinJournalBytes = 200 });

        // The model: what is written (W) and admitted since the last write (P), by message id, webhook-id and counter.
        var written = new List<(string Id, string? Webhook, uint Counter)>();
        var pending = new List<(string Id, string? Webhook, uint Counter)>();
        var storedIds = new HashSet<string>(StringComparer.Ordinal);
        var forgedCounters = new HashSet<uint>();
        long offset = 0;
        var restarts = 0;
        var state = verdicts.Open(0);
        try
        {
            foreach (var (kind, message, forgedCounter) in steps)
            {
                var what = kind switch
                {
                    < 70 => Step.Deliver,
                    < 80 => Step.Forge,
                    < 95 => Step.Write,
                    _ => Step.Restart,
                };
                var index = message % counters.Length;
                switch (what)
                {
                    case Step.Deliver or Step.Forge:
                        var webhook = signed[index] ? $"w{index}" : null;

                        // A forgery of message index: another message under its webhook-id, an even counter of its own.
                        var forged = forgedCounter & ~1u;
                        while (what == Step.Forge && !forgedCounters.Add(forged))
                        {
                            forged += 2;
                        }

                        var record = what == Step.Deliver
                            ? (Id: $"m{index}", Webhook: webhook, Counter: counters[index])
                            : (Id: $"f{offset}", Webhook: webhook ?? $"w{index}", Counter: forged);
                        var both = written.Concat(pending).ToList();
                        var expected = both.Any(r => r.Id == record.Id) ? Expected.Duplicate
                            : record.Webhook is not null && both.Any(r => r.Webhook == record.Webhook) ? Expected.Replayed
                            : both.Count > 0 && record.Counter < both.Max(r => r.Counter) ? Expected.Replayed
                            : Expected.Stored;
                        var verdict = state.Admit(Uplink(device, record, offset), new LogPosition(0, offset));
                        offset++;
                        Assert.Equal(expected, Actual(verdict));
                        if (expected == Expected.Stored)
                        {
                            pending.Add(record);
                        }

                        break;
                    case Step.Write:
                        state.Written(new LogPosition(0, offset - 1));
                        foreach (var stored in pending)
                        {
                            Assert.True(storedIds.Add(stored.Id), $"{stored.Id} written twice");
                        }

                        written.AddRange(pending);
                        pending.Clear();
                        break;
                    case Step.Restart when ++restarts % crashEvery == 0:
                        // Killed before the write: what was admitted since is lost, and comes again as the log's
                        // records after the commit (here: whenever the generated order delivers it again).
                        state.Dispose();
                        state = verdicts.Open(0);
                        pending.Clear();
                        break;
                }
            }
        }
        finally
        {
            state.Dispose();
        }
    }

    private static Expected Actual(Verdict verdict) =>
        verdict.IsAccepted ? Expected.Stored
        : verdict.Reason == RejectReason.Duplicate ? Expected.Duplicate
        : verdict.Reason == RejectReason.Replayed ? Expected.Replayed
        : throw new InvalidOperationException($"unexpected verdict {verdict.Reason}: {verdict.Detail}");

    private GuardedVerdicts Verdicts(PartitionStateStore store) => new(
        store,
        new ReplayGuardOptions(),
        new DuplicateFilterOptions(),
        _time,
        _registry,
        new UplinkDecoder(new DevicePayloadDecoder(_registry, new JavaScriptDecoder(new JavaScriptDecoderOptions()))));

    private static RawRecord Uplink(DeviceId device, (string Id, string? Webhook, uint Counter) message, long order) => new()
    {
        Version = RawRecord.CurrentVersion,
        DeviceId = device,
        Source = SourceKind.Tts,
        ReceivedAtUnixNs = ((_now - DateTimeOffset.UnixEpoch).Ticks * 100) + (order * 1_000_000),
        FrameCounter = message.Counter,
        Session = "s1",
        MessageId = message.Id,
        WebhookMessageId = message.Webhook,
        RouteId = message.Webhook is null ? null : "hook",
        PayloadKind = PayloadKind.UplinkJson,
        Payload = "{}"u8.ToArray(),
    };
}
