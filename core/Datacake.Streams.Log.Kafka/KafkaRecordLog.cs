using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Confluent.Kafka;
using Datacake.Streams.RecordLog;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Datacake.Streams.Log.Kafka;

/// <summary>
/// The record log on a Kafka cluster: one idempotent producer (acks=all) shared by every append,
/// and one Kafka consumer per <see cref="Subscribe"/>.
/// </summary>
public sealed partial class KafkaRecordLog : IRecordLog
{
    // A topic that auto-creates answers its first metadata request with LeaderNotAvailable and no partitions;
    // the next request, a moment later, sees them.
    private static readonly TimeSpan _metadataRetryInterval = TimeSpan.FromMilliseconds(100);

    private readonly KafkaRecordLogOptions _options;
    private readonly ILogger _logger;
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly IAdminClient _admin;
    private readonly PendingAppend.Pool _appends = new();
    private readonly ConcurrentDictionary<KafkaRecordLogConsumer, byte> _consumers = new();
    private int _disposed;

    /// <remarks>
    /// The options are taken as valid: <see cref="KafkaRecordLogOptionsValidator"/> checks them when the host starts
    /// (<see cref="KafkaRecordLogServiceCollectionExtensions.AddKafkaRecordLog"/>).
    /// </remarks>
    public KafkaRecordLog(KafkaRecordLogOptions options, ILogger<KafkaRecordLog>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _producer = new ProducerBuilder<byte[], byte[]>(KafkaClientConfig.ForProducer(_options))
            .SetLogHandler((_, message) => KafkaClientLog.Write(_logger, message))
            .SetErrorHandler((_, error) => KafkaClientLog.Error(_logger, error))
            .Build();

        // Metadata requests ride on the producer's connections instead of opening a second client.
        _admin = new DependentAdminClientBuilder(_producer.Handle).Build();
    }

    public int PartitionCount(string topic)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        ThrowIfDisposed();

        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var remaining = _options.MetadataTimeout - Stopwatch.GetElapsedTime(started);
            TopicMetadata? found;
            try
            {
                found = _admin.GetMetadata(topic, remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMilliseconds(1))
                    .Topics.Find(t => t.Topic == topic);
            }
            catch (KafkaException e)
            {
                throw new RecordLogUnavailableException($"Kafka metadata for topic '{topic}' did not arrive: {e.Error.Reason}", e);
            }

            if (found is { Error.IsError: false, Partitions.Count: > 0 })
            {
                return found.Partitions.Count;
            }

            if (found?.Error.Code == ErrorCode.TopicException)
            {
                throw new ArgumentException($"'{topic}' is not a valid Kafka topic name: {found.Error.Reason}", nameof(topic));
            }

            if (Stopwatch.GetElapsedTime(started) + _metadataRetryInterval >= _options.MetadataTimeout)
            {
                throw new RecordLogUnavailableException(
                    $"Kafka topic '{topic}' has no partitions after {_options.MetadataTimeout.TotalSeconds:0.#} s " +
                    $"({found?.Error.Code.ToString() ?? "not in metadata"}); create it, or allow auto-creation on the brokers.");
            }

            Thread.Sleep(_metadataRetryInterval);
        }
    }

    /// <summary>
    /// Hands the record to the producer and completes with its position once every in-sync replica has it.
    /// </summary>
    /// <remarks>
    /// <paramref name="cancellationToken"/> is honoured until the record is handed over; after that the record may
    /// already be stored and cannot be recalled, so the append completes with the delivery outcome, at the latest
    /// after <see cref="KafkaRecordLogOptions.DeliveryTimeout"/>. The returned ValueTask is pooled: await it once.
    /// </remarks>
    public ValueTask<LogPosition> AppendAsync(string topic, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<LogPosition>(cancellationToken);
        }

        if (Volatile.Read(ref _disposed) != 0)
        {
            return ValueTask.FromException<LogPosition>(ShutDown());
        }

        var pending = _appends.Rent(topic);
        var appended = pending.Task;
        try
        {
            _producer.Produce(topic, new Message<byte[], byte[]> { Key = ExactArray(key), Value = ExactArray(value) }, pending.OnDelivery);
        }
        catch (ProduceException<byte[], byte[]> e)
        {
            pending.Abandon();
            return ValueTask.FromException<LogPosition>(KafkaAppendFailure.From(e.Error, topic, e));
        }
        catch (KafkaException e)
        {
            pending.Abandon();
            return ValueTask.FromException<LogPosition>(KafkaAppendFailure.From(e.Error, topic, e));
        }
        catch (ObjectDisposedException e)
        {
            pending.Abandon();
            return ValueTask.FromException<LogPosition>(ShutDown(e));
        }

        return appended;
    }

    public IRecordLogConsumer Subscribe(string topic, string group, StartPosition start = StartPosition.Earliest)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        ArgumentException.ThrowIfNullOrWhiteSpace(group);
        ThrowIfDisposed();

        var consumer = new KafkaRecordLogConsumer(KafkaClientConfig.ForConsumer(_options, group, start), topic, _logger, c => _consumers.TryRemove(c, out _));
        _consumers.TryAdd(consumer, 0);
        return consumer;
    }

    public async ValueTask<bool> IsReachableAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return false;
        }

        // GetMetadata blocks until a broker answers or the timeout passes: keep it off the caller's thread.
        var probe = Task.Run(
            () =>
            {
                try
                {
                    return _admin.GetMetadata(_options.ReachabilityTimeout).Brokers.Count > 0;
                }
                catch (KafkaException)
                {
                    return false;
                }
                catch (ObjectDisposedException)
                {
                    return false;
                }
            },
            CancellationToken.None);
        return await probe.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var consumer in _consumers.Keys)
        {
            consumer.Dispose();
        }

        // Flush blocks until the records in flight are acknowledged (or the timeout): not on the caller's thread.
        var undelivered = await Task.Run(() => _producer.Flush(_options.FlushTimeout)).ConfigureAwait(false);
        if (undelivered > 0)
        {
            LogUndelivered(_logger, undelivered, _options.FlushTimeout.TotalSeconds);
        }

        _admin.Dispose();
        _producer.Dispose();

        // The producer drops what it could not deliver without a delivery report: fail those appends here.
        _appends.FailWaiting(ShutDown());
    }

    /// <summary>
    /// Confluent.Kafka wants exactly sized arrays and copies them into librdkafka during Produce:
    /// reuse the caller's array when the memory is a whole one, copy otherwise.
    /// </summary>
    private static byte[] ExactArray(ReadOnlyMemory<byte> memory) =>
        MemoryMarshal.TryGetArray(memory, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : memory.ToArray();

    private static RecordLogUnavailableException ShutDown(Exception? inner = null) =>
        new("The Kafka record log is shut down.", inner);

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} Kafka records were still undelivered after {Seconds} s of flushing; their appends fail.")]
    private static partial void LogUndelivered(ILogger logger, int count, double seconds);
}
