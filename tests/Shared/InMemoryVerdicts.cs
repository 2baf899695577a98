using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.Processing.Values;
using Datacake.Streams.RecordLog;
using Datacake.Streams.Records;
using Datacake.Streams.Payloads.DeadLetters;

namespace Datacake.Streams.TestSupport;

/// <summary>
/// A test double of <see cref="IRecordVerdicts"/> (compiled into the test projects only, never shipped): the verdicts of the pipeline before the replay guard, duplicate filter and payload decoders are
/// plugged in: JSON values only, duplicates by the record's message id and replays by frame counter per session
/// and by webhook id, remembered in memory for a bounded window (lost on restart, where the deterministic point
/// times make a rewrite harmless).
/// </summary>
public sealed class InMemoryVerdicts(int window = InMemoryVerdicts.DefaultWindow) : IRecordVerdicts
{
    /// <summary>Keys remembered per partition: 100k keys of ~100 bytes is ~10 MB per partition at most.</summary>
    public const int DefaultWindow = 100_000;

    public IPartitionState Open(int partition) => new PartitionState(window);

    private sealed class PartitionState(int window) : IPartitionState
    {
        private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
        private readonly Queue<string> _order = new();
        private readonly Dictionary<(Ids.DeviceId, string), uint> _frameCounters = [];

        public Verdict Admit(in RawRecord record, LogPosition position)
        {
            if (record.WebhookMessageId is { Length: > 0 } webhookId && _seen.Contains(Key("w", record, webhookId)))
            {
                return Verdict.Reject(RejectReason.Replayed, $"webhook-id {webhookId} was seen before");
            }

            if (record.FrameCounter is { } counter)
            {
                var session = (record.DeviceId, record.Session ?? string.Empty);
                if (_frameCounters.TryGetValue(session, out var last) && counter <= last)
                {
                    // An equal counter with the same message id is the same uplink through another gateway.
                    return record.MessageId is { Length: > 0 } id && _seen.Contains(Key("m", record, id))
                        ? Verdict.Duplicate
                        : Verdict.Reject(RejectReason.Replayed, $"frame counter {counter} is not above {last} of this session");
                }
            }

            if (record.MessageId is { Length: > 0 } messageId && _seen.Contains(Key("m", record, messageId)))
            {
                return Verdict.Duplicate;
            }

            if (record.FrameCounter is { } accepted)
            {
                _frameCounters[(record.DeviceId, record.Session ?? string.Empty)] = accepted;
            }

            if (record.MessageId is { Length: > 0 } newMessage)
            {
                Remember(Key("m", record, newMessage));
            }

            if (record.WebhookMessageId is { Length: > 0 } newWebhook)
            {
                Remember(Key("w", record, newWebhook));
            }

            return Verdict.Accept;
        }

        public Verdict Decode(in RawRecord record, RecordPoints points) => record.PayloadKind switch
        {
            PayloadKind.JsonValues => JsonValuesDecoder.Decode(record, points),
            _ => Verdict.Reject(RejectReason.DecodeFailed, $"no decoder for payload kind {record.PayloadKind} is plugged in"),
        };

        public void Written(LogPosition upTo)
        {
            // Nothing persisted: the window lives in memory only.
        }

        public void Dispose()
        {
            _seen.Clear();
            _order.Clear();
            _frameCounters.Clear();
        }

        private static string Key(string kind, in RawRecord record, string id) => $"{kind}:{record.DeviceId}:{id}";

        private void Remember(string key)
        {
            if (!_seen.Add(key))
            {
                return;
            }

            _order.Enqueue(key);
            if (_order.Count > window)
            {
                _seen.Remove(_order.Dequeue());
            }
        }
    }
}
