using Datacake.Streams.RecordLog.Faster.Storage;

namespace Datacake.Streams.RecordLog.Faster;

/// <summary>
/// The record log on local disk: one FasterLog per topic partition, appends acknowledged after a group commit
/// made them durable, consumer groups coordinated in process.
/// </summary>
public sealed class FasterRecordLog : IRecordLog
{
    private readonly LogDirectory _directory;
    private readonly int _maxRecordBytes;
    private int _disposed;

    private FasterRecordLog(LogDirectory directory, int maxRecordBytes)
    {
        _directory = directory;
        _maxRecordBytes = maxRecordBytes;
    }

    /// <summary>The data directory, as an absolute path.</summary>
    public string DataDirectory => _directory.Path;

    /// <summary>Retention rounds completed since the directory was opened (tests wait on it).</summary>
    internal int RetentionRounds => _directory.RetentionRounds;

    /// <summary>The error of the last retention round, null after a good one.</summary>
    internal Exception? RetentionFailure => _directory.RetentionFailure;

    /// <summary>
    /// Opens the log in <see cref="FasterRecordLogOptions.DataDirectory"/>, recovering every committed record.
    /// Within one process every instance over the same directory shares one set of logs.
    /// </summary>
    /// <remarks>
    /// The options are taken as valid: <see cref="FasterRecordLogOptionsValidator"/> checks them when the host starts
    /// (<see cref="FasterRecordLogServiceCollectionExtensions.AddFasterRecordLog"/>).
    /// </remarks>
    /// <exception cref="RecordLogUnavailableException">Another process has the directory open.</exception>
    public static async Task<FasterRecordLog> OpenAsync(FasterRecordLogOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var directory = await LogDirectory.AcquireAsync(options, timeProvider ?? TimeProvider.System).ConfigureAwait(false);
        return new FasterRecordLog(directory, options.MaxRecordBytes);
    }

    public int PartitionCount(string topic)
    {
        ThrowIfDisposed();
        return _directory.Topic(topic).Partitions.Count;
    }

    /// <remarks>
    /// The token is honoured until the record is enqueued. After that the append completes with the commit
    /// (one commit interval plus a disk write later): cancelling then would only hide a record that becomes durable anyway.
    /// </remarks>
    public ValueTask<LogPosition> AppendAsync(string topic, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if ((long)key.Length + value.Length > _maxRecordBytes)
        {
            throw new ArgumentOutOfRangeException(nameof(value), key.Length + value.Length, $"key and value together may have at most {_maxRecordBytes} bytes");
        }

        ThrowIfDisposed();
        TopicLog log;
        try
        {
            log = _directory.Topic(topic);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new RecordLogUnavailableException($"topic {topic} cannot be opened: {e.Message}", e);
        }

        var partition = KeyPartitioner.PartitionOf(key.Span, log.Partitions.Count);
        return log.Partitions[partition].AppendAsync(key, value);
    }

    public IRecordLogConsumer Subscribe(string topic, string group, StartPosition start = StartPosition.Earliest)
    {
        ThrowIfDisposed();
        LogNames.ThrowIfInvalid(group, nameof(group));
        var log = _directory.Topic(topic);
        return new GroupMember(log, log.Group(group), start, _directory.Progress);
    }

    public ValueTask<bool> IsReachableAsync(CancellationToken cancellationToken = default) =>
        new(Volatile.Read(ref _disposed) == 0 && _directory.IsOpen);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await _directory.ReleaseAsync().ConfigureAwait(false);
        }
    }

    private void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new RecordLogUnavailableException("the record log is disposed");
        }
    }
}
