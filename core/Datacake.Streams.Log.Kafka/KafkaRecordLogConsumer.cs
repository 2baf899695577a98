using Confluent.Kafka;
using Datacake.Streams.RecordLog;
using Microsoft.Extensions.Logging;

namespace Datacake.Streams.Log.Kafka;

/// <summary>One member of a Kafka consumer group on one topic; positions move only through <see cref="Commit"/>.</summary>
/// <remarks>
/// Confluent.Kafka runs the rebalance handlers inside <c>Consume</c> and <c>Close</c>, on the thread that called them,
/// so the partition bookkeeping below needs no lock of its own. The gate only keeps <see cref="Dispose"/> (which the
/// log may call from another thread when it shuts down) from closing the client under a running Consume.
/// </remarks>
internal sealed partial class KafkaRecordLogConsumer : IRecordLogConsumer
{
    private readonly IConsumer<byte[], byte[]> _consumer;
    private readonly string _topic;
    private readonly ILogger _logger;
    private readonly Action<KafkaRecordLogConsumer> _onDisposed;
    private readonly Lock _gate = new();
    private readonly HashSet<int> _owned = [];

    // Per owned partition, the next offset the group has already passed: seeded by the first record consumed since
    // the partition was assigned (the consumer resumes at the group's committed position), raised by each commit.
    // A partition without an entry has delivered nothing in this assignment, so any position for it is from an
    // earlier owner's era and must not be committed.
    private readonly Dictionary<int, long> _passed = [];
    private IReadOnlyList<int> _assignment = Array.Empty<int>();
    private bool _disposed;

    public KafkaRecordLogConsumer(ConsumerConfig config, string topic, ILogger logger, Action<KafkaRecordLogConsumer> onDisposed)
    {
        _topic = topic;
        _logger = logger;
        _onDisposed = onDisposed;
        _consumer = new ConsumerBuilder<byte[], byte[]>(config)
            .SetLogHandler((_, message) => KafkaClientLog.Write(_logger, message))
            .SetErrorHandler((_, error) => KafkaClientLog.Error(_logger, error))
            .SetPartitionsAssignedHandler((_, partitions) => Assigned(partitions))
            .SetPartitionsRevokedHandler((_, offsets) => Released(offsets.Select(o => o.TopicPartition)))
            .SetPartitionsLostHandler((_, offsets) => Released(offsets.Select(o => o.TopicPartition)))
            .Build();
        _consumer.Subscribe(topic);
    }

    public IReadOnlyList<int> Assignment => Volatile.Read(ref _assignment);

    public LogRecord? Consume(TimeSpan timeout)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ConsumeResult<byte[], byte[]>? result;
            try
            {
                result = _consumer.Consume(timeout);
            }
            catch (ConsumeException e) when (!e.Error.IsFatal)
            {
                // E.g. the topic does not exist yet: librdkafka keeps the subscription and retries; so does the caller.
                LogConsumeError(_logger, _topic, e.Error.Code, e.Error.Reason);
                return null;
            }
            catch (KafkaException e)
            {
                throw new RecordLogUnavailableException($"The Kafka consumer of '{_topic}' failed: {e.Error.Reason}", e);
            }

            if (result is null || result.IsPartitionEOF)
            {
                return null;
            }

            var position = new LogPosition(result.Partition.Value, result.Offset.Value);
            _passed.TryAdd(position.Partition, position.Offset);
            return new LogRecord(result.Topic, position, result.Message.Key ?? [], result.Message.Value ?? []);
        }
    }

    public bool Commit(LogPosition position)
    {
        lock (_gate)
        {
            if (_disposed || !_owned.Contains(position.Partition) || !_passed.TryGetValue(position.Partition, out var passed))
            {
                return false;
            }

            // Kafka's committed offset is the next one to read.
            var next = position.Offset + 1;
            if (next <= passed)
            {
                return true;
            }

            try
            {
                _consumer.Commit([new TopicPartitionOffset(_topic, position.Partition, next)]);
            }
            catch (KafkaException e)
            {
                // During a rebalance the commit is refused (RebalanceInProgress, IllegalGeneration, UnknownMemberId...):
                // the partition may already be someone else's, who resumes from the last successful commit.
                LogCommitRefused(_logger, _topic, position.Partition, next, e.Error.Code, e.Error.Reason);
                return false;
            }

            _passed[position.Partition] = next;
            return true;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            try
            {
                // Leave the group now, so the others take over the partitions without waiting for the session timeout.
                _consumer.Close();
            }
            catch (KafkaException e)
            {
                LogCloseFailed(_logger, _topic, e.Error.Code, e.Error.Reason);
            }
            finally
            {
                _consumer.Dispose();
            }
        }

        _onDisposed(this);
    }

    private void Assigned(List<TopicPartition> partitions)
    {
        foreach (var partition in partitions)
        {
            if (partition.Topic == _topic)
            {
                _owned.Add(partition.Partition.Value);
                _passed.Remove(partition.Partition.Value);
            }
        }

        PublishAssignment();
    }

    private void Released(IEnumerable<TopicPartition> partitions)
    {
        foreach (var partition in partitions)
        {
            if (partition.Topic == _topic)
            {
                _owned.Remove(partition.Partition.Value);
                _passed.Remove(partition.Partition.Value);
            }
        }

        PublishAssignment();
    }

    private void PublishAssignment()
    {
        var snapshot = _owned.Order().ToArray();
        Volatile.Write(ref _assignment, Array.AsReadOnly(snapshot));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kafka consume on '{Topic}' failed ({Code}: {Reason}); retrying.")]
    private static partial void LogConsumeError(ILogger logger, string topic, ErrorCode code, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Kafka refused the commit of '{Topic}' partition {Partition} at {Offset} ({Code}: {Reason}).")]
    private static partial void LogCommitRefused(ILogger logger, string topic, int partition, long offset, ErrorCode code, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing the Kafka consumer of '{Topic}' failed ({Code}: {Reason}).")]
    private static partial void LogCloseFailed(ILogger logger, string topic, ErrorCode code, string reason);
}
