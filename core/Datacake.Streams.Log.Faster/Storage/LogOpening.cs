using Datacake.Streams.Files;
using FASTER.core;

namespace Datacake.Streams.RecordLog.Faster.Storage;

/// <summary>
/// One opening of a partition's files: a FasterLog over its segment files and its commit files, recovered to the
/// last whole commit. After a failed flush FasterLog refuses every later operation, so a partition whose commit
/// failed (disk full) opens its files again; readers still scanning the previous opening hold a reference to it and
/// it closes when the last of them moved on.
/// </summary>
internal sealed class LogOpening
{
    private readonly IDevice _device;
    private int _references = 1;

    private LogOpening(FasterLog log, IDevice device, CheckedCommitManager commits)
    {
        Log = log;
        _device = device;
        Commits = commits;
    }

    public FasterLog Log { get; }

    public CheckedCommitManager Commits { get; }

    /// <summary>Opens (recovering what was committed before) the log in <paramref name="directory"/>.</summary>
    public static LogOpening Open(string directory, ILogSettings options)
    {
        // FASTER creates the segment and commit files itself with the process umask (077 in the host, see
        // PrivateFile.RestrictNewFilesToOwner); the folder is 0700 first so nothing inside is reachable by others either way.
        PrivateFile.CreateDirectory(directory);
        var device = Devices.CreateLogDevice(Path.Combine(directory, "log"), preallocateFile: false, deleteOnClose: false, recoverDevice: true);
        CheckedCommitManager? commits = null;
        try
        {
            commits = new CheckedCommitManager(Path.Combine(directory, "commits"));
            var settings = new FasterLogSettings
            {
                LogDevice = device,
                LogCommitManager = commits,
                PageSize = options.PageSizeBytes,
                MemorySize = options.MemorySizeBytes,
                SegmentSize = options.SegmentSizeBytes,
                AutoRefreshSafeTailAddress = false,
                AutoCommit = false,

                // The constructor's own recovery swallows errors and would start an empty log over the old one;
                // Recover() below throws instead, so a damaged directory fails loudly.
                TryRecoverLatest = false,
            };
            var log = new FasterLog(settings);
            try
            {
                log.Recover();
            }
            catch
            {
                log.Dispose();
                throw;
            }

            commits.Recovered(log.CommittedUntilAddress);
            return new LogOpening(log, device, commits);
        }
        catch
        {
            commits?.Dispose();
            device.Dispose();
            throw;
        }
    }

    /// <summary>True once the files are closed (the last reference went, or the partition closed).</summary>
    public bool IsClosed => Volatile.Read(ref _references) <= 0;

    /// <summary>Takes a reader's reference; false once the opening is closed.</summary>
    public bool TryAcquire()
    {
        var seen = Volatile.Read(ref _references);
        while (seen > 0)
        {
            var previous = Interlocked.CompareExchange(ref _references, seen + 1, seen);
            if (previous == seen)
            {
                return true;
            }

            seen = previous;
        }

        return false;
    }

    /// <summary>Drops a reference (a reader's, or the partition's own); the last one closes the files.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            Close();
        }
    }

    /// <summary>Closes the files now, whoever still holds a reference: the partition itself is closing.</summary>
    public void ForceClose()
    {
        if (Interlocked.Exchange(ref _references, 0) > 0)
        {
            Close();
        }
    }

    private void Close()
    {
        Log.Dispose();
        _device.Dispose();
        Commits.Dispose();
    }
}
