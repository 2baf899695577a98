using Datacake.Streams.Files;
using System.Collections.Concurrent;

namespace Datacake.Streams.RecordLog.Faster.Storage;

/// <summary>
/// An opened data directory: its topics, one progress signal, and an exclusive lock file. Two FasterLogs writing
/// the same files would corrupt each other, so a directory is opened once per process (every
/// <see cref="FasterRecordLog"/> over it shares this instance, counted) and by one process at a time (the lock).
/// </summary>
internal sealed class LogDirectory
{
    private const string LockFile = ".lock";

    private static readonly Dictionary<string, Entry> _opened = new(StringComparer.Ordinal);
    private static readonly Lock _registryGate = new();

    private readonly ConcurrentDictionary<string, TopicLog> _topics = new(StringComparer.Ordinal);
    private readonly Lock _topicsGate = new();
    private readonly FileStream _lock;
    private readonly ILogSettings _options;
    private readonly TimeProvider _time;
    private readonly ITimer _retention;
    private volatile bool _closed;
    private int _retaining;

    private LogDirectory(string path, FileStream fileLock, ILogSettings options, TimeProvider time)
    {
        Path = path;
        _lock = fileLock;
        _options = options;
        _time = time;
        _retention = time.CreateTimer(_ => StartRetentionRound(), null, options.RetentionInterval, options.RetentionInterval);
    }

    /// <summary>Set when the last retention round failed (disk error); cleared by the next good one. For tests and logs.</summary>
    public Exception? RetentionFailure { get; private set; }

    /// <summary>Rounds of retention completed (tests wait on it).</summary>
    public int RetentionRounds => Volatile.Read(ref _retentionRounds);

    private int _retentionRounds;
    private Task _retentionRound = Task.CompletedTask;

    public string Path { get; }

    public ProgressSignal Progress { get; } = new();

    public bool IsOpen => !_closed;

    /// <summary>Opens the directory, or shares the instance this process already opened (its options win).</summary>
    public static async Task<LogDirectory> AcquireAsync(ILogSettings options, TimeProvider time)
    {
        var path = System.IO.Path.GetFullPath(options.DataDirectory);
        while (true)
        {
            Task pending;
            lock (_registryGate)
            {
                if (_opened.TryGetValue(path, out var entry))
                {
                    if (entry.Directory is { } open)
                    {
                        _opened[path] = entry with { References = entry.References + 1 };
                        return open;
                    }

                    // Another caller is opening it, or its last user is still closing it (final commits).
                    pending = entry.Pending;
                }
                else
                {
                    var opening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    _opened[path] = new Entry(null, 0, opening.Task);
                    pending = OpenAsync(path, options, time, opening);
                }
            }

            await pending.ConfigureAwait(false);
        }
    }

    /// <summary>Drops one user; the last one closes the directory (final commit of every partition).</summary>
    public async ValueTask ReleaseAsync()
    {
        TaskCompletionSource closed;
        lock (_registryGate)
        {
            var entry = _opened[Path];
            if (entry.References > 1)
            {
                _opened[Path] = entry with { References = entry.References - 1 };
                return;
            }

            closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _opened[Path] = new Entry(null, 0, closed.Task);
        }

        try
        {
            await CloseAsync().ConfigureAwait(false);
        }
        finally
        {
            lock (_registryGate)
            {
                _opened.Remove(Path);
            }

            closed.SetResult();
        }
    }

    public TopicLog Topic(string name)
    {
        if (_topics.TryGetValue(name, out var topic))
        {
            return topic;
        }

        LogNames.ThrowIfInvalid(name, "topic");
        lock (_topicsGate)
        {
            if (_closed)
            {
                throw new RecordLogUnavailableException($"the record log in {Path} is closed");
            }

            if (!_topics.TryGetValue(name, out topic))
            {
                topic = TopicLog.Open(Path, name, _options, _time, Progress);
                _topics[name] = topic;
            }

            return topic;
        }
    }

    /// <summary>
    /// Opens the directory and recovers every topic already in it, on a thread of its own: FasterLog's recovery
    /// blocks on reads whose completions run on the thread pool, and appenders must not find a topic half-open.
    /// </summary>
    private static async Task OpenAsync(string path, ILogSettings options, TimeProvider time, TaskCompletionSource opened)
    {
        try
        {
            var directory = await Task.Factory.StartNew(
                () =>
                {
                    var created = Create(path, options, time);
                    try
                    {
                        created.RecoverTopics();
                        return created;
                    }
                    catch
                    {
                        created.CloseAsync().AsTask().GetAwaiter().GetResult();
                        throw;
                    }
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default).ConfigureAwait(false);
            lock (_registryGate)
            {
                _opened[path] = new Entry(directory, 0, Task.CompletedTask);
            }
        }
        catch
        {
            lock (_registryGate)
            {
                _opened.Remove(path);
            }

            opened.SetResult();
            throw;
        }

        opened.SetResult();
    }

    private void RecoverTopics()
    {
        foreach (var topicDirectory in Directory.EnumerateDirectories(Path))
        {
            var name = System.IO.Path.GetFileName(topicDirectory);
            if (LogNames.IsValid(name) && TopicLog.Exists(topicDirectory))
            {
                _topics[name] = TopicLog.Open(Path, name, _options, _time, Progress);
            }
        }
    }

    private static LogDirectory Create(string path, ILogSettings options, TimeProvider time)
    {
        PrivateFile.CreateDirectory(path);
        FileStream fileLock;
        try
        {
            // FileShare.None takes an exclusive flock on Unix; the kernel drops it when the holder dies (even by SIGKILL).
            fileLock = new FileStream(System.IO.Path.Combine(path, LockFile), new FileStreamOptions
            {
                Mode = FileMode.OpenOrCreate,
                Access = FileAccess.ReadWrite,
                Share = FileShare.None,
                UnixCreateMode = PrivateFile.FileMode,
            });
        }
        catch (IOException e)
        {
            throw new RecordLogUnavailableException($"the record log in {path} is in use by another process", e);
        }

        return new LogDirectory(path, fileLock, options, time);
    }

    /// <summary>
    /// One retention round over the open topics named in <see cref="ILogSettings.RetainBytes"/>; a round
    /// still running when the timer fires again is not doubled. An I/O error is kept in <see cref="RetentionFailure"/>
    /// and the next round tries again: a log that keeps more than it should is not worth failing appends over.
    /// </summary>
    private void StartRetentionRound()
    {
        if (_closed || Interlocked.Exchange(ref _retaining, 1) != 0)
        {
            return;
        }

        _retentionRound = ApplyRetentionAsync();
    }

    private async Task ApplyRetentionAsync()
    {
        try
        {
            foreach (var topic in _topics.Values)
            {
                if (!_closed && _options.RetainBytes.TryGetValue(topic.Name, out var bytes))
                {
                    await topic.ApplyRetentionAsync(bytes, _options.GroupIdleExpiry, _time.GetUtcNow()).ConfigureAwait(false);
                }
            }

            RetentionFailure = null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException or FASTER.core.FasterException)
        {
            RetentionFailure = e;
        }
        finally
        {
            Interlocked.Increment(ref _retentionRounds);
            Volatile.Write(ref _retaining, 0);
        }
    }

    private async ValueTask CloseAsync()
    {
        await _retention.DisposeAsync().ConfigureAwait(false);
        lock (_topicsGate)
        {
            _closed = true;
        }

        // A round under way finishes before its partitions close (it never throws).
        await _retentionRound.ConfigureAwait(false);

        try
        {
            foreach (var topic in _topics.Values)
            {
                await topic.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            await _lock.DisposeAsync().ConfigureAwait(false);
        }
    }

    private sealed record Entry(LogDirectory? Directory, int References, Task Pending);
}
