using Datacake.Streams.Access;
using Datacake.Streams.Payloads.DeadLetters;
using Datacake.Streams.Ids;
using Datacake.Streams.RecordLog;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.DeadLetters;

/// <summary>
/// Fills the <see cref="DeadLetterIndex"/> from <c>dcs.deadletter</c>: from the earliest retained letter at every start
/// (a consumer group of its own that never commits, as the registry feed's), then each letter as processing writes it.
/// The same on the embedded log and on Kafka, so an api node without processing reads what other nodes rejected.
/// </summary>
public sealed partial class DeadLetterFeed(
    IRecordLog log, DeadLetterIndex index, RegistryView registry, RegistryFeed registryFeed, IOptions<DeadLetterOptions> options, TimeProvider time, ILogger<DeadLetterFeed> logger)
    : BackgroundService
{
    /// <summary>Each feed joins its own group, prefix + a fresh GUID, so that it reads every partition.</summary>
    public const string ConsumerGroupPrefix = "dcs-deadletter-view-";

    /// <summary>Bounds only how fast the loop notices a stop: letters are indexed as soon as they arrive.</summary>
    private static readonly TimeSpan PollTimeout = TimeSpan.FromMilliseconds(200);

    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>A workspace tree is a few levels deep; the walk to its top stops here should a parent loop ever appear.</summary>
    private const int MaxWorkspaceDepth = 64;

    private readonly Dictionary<int, long> _applied = [];
    private long _read;
    private long _unreadable;
    private long _failures;
    private Exception? _lastError;

    /// <summary>Letters read from the log so far (this process).</summary>
    public long LettersRead => Interlocked.Read(ref _read);

    /// <summary>Records that were no dead letter, or keyed by no device id: skipped.</summary>
    public long Unreadable => Interlocked.Read(ref _unreadable);

    /// <summary>Failures of reading or indexing a letter since start (each logged; the feed goes on after each).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>The last of those failures, for diagnosis.</summary>
    public Exception? LastError => Volatile.Read(ref _lastError);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            // Letters are charged to their device's workspace: read before the registry caught up, they would be charged to none.
            await registryFeed.WaitUntilCaughtUpAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        await Task.Factory.StartNew(() => Run(stoppingToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private void Run(CancellationToken stopping)
    {
        using var consumer = log.Subscribe(LogTopics.DeadLetter, ConsumerGroupPrefix + Guid.NewGuid().ToString("N"), StartPosition.Earliest);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (consumer.Consume(PollTimeout) is { } record)
                {
                    Apply(record);
                }
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Exception error)
            {
                // Anything but stopping, a cancellation from inside the consumer included, is retried: the registry
                // feed lost its thread to such a cancellation once, and this loop had the same filter.
                Volatile.Write(ref _lastError, error);
                Interlocked.Increment(ref _failures);
                LogReadFailed(logger, error);
                PauseBeforeRetry(stopping);
            }
        }
    }

    /// <summary>Indexes one record; a record seen before (a consumer that restarted a partition) is skipped.</summary>
    internal void Apply(LogRecord record)
    {
        var position = record.Position;
        if (_applied.TryGetValue(position.Partition, out var last) && position.Offset <= last)
        {
            return;
        }

        _applied[position.Partition] = position.Offset;
        Interlocked.Increment(ref _read);
        if (!DeadLetterCodec.TryDecode(record.Value.Span, out var letter)
            || !DeadLetterEntry.TryCreate(record.Key.Span, letter!, options.Value.MaxPayloadBytes, out var device, out var entry))
        {
            Interlocked.Increment(ref _unreadable);
            return;
        }

        index.Add(device, TopWorkspaceOf(device), entry!);
    }

    /// <summary>The top-level workspace above the device's own; empty for a device the registry does not know (purged).</summary>
    private string TopWorkspaceOf(DeviceId device)
    {
        if (!registry.TryGetDevice(device, out var entry))
        {
            return string.Empty;
        }

        var top = entry!.WorkspaceId;
        for (var depth = 0; depth < MaxWorkspaceDepth && registry.TryGetWorkspace(top, out var workspace) && workspace!.ParentId is { } parent; depth++)
        {
            top = parent;
        }

        return top;
    }

    private void PauseBeforeRetry(CancellationToken stopping)
    {
        try
        {
            Task.Delay(RetryDelay, time, stopping).Wait(stopping);
        }
        catch (OperationCanceledException)
        {
            // Stopping: the loop condition ends the feed.
        }
        catch (AggregateException)
        {
            // Stopping: the loop condition ends the feed.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "reading or indexing dcs.deadletter failed; retrying")]
    private static partial void LogReadFailed(ILogger logger, Exception error);
}
