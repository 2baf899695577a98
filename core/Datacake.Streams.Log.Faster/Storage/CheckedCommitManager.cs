using System.Buffers;
using System.Buffers.Binary;
using FASTER.core;

namespace Datacake.Streams.RecordLog.Faster.Storage;

/// <summary>
/// FasterLog's commit files, with the check FASTER's writer lacks: its <see cref="DeviceLogCommitCheckpointManager"/>
/// only traces a failed write of a commit file (disk full) and FasterLog then reports the commit as done, so the
/// records it covered would be acknowledged while a recovery (a restart, or the reopen after the next failed flush)
/// goes back to the commit before. This writes the file itself (same files, same format, read back by FASTER's
/// manager): <see cref="DurableUntil"/> moves only when the write returned whole, and a failed one is reported in
/// <see cref="LastFailure"/> for the committer to fail the commit's appends. For the same reason it removes an older
/// commit file only once a newer one is whole (FASTER's own clean-up keeps the last two files written, whole or not:
/// two failed writes in a row would leave nothing to recover from, and recovery would start an empty log).
/// </summary>
internal sealed class CheckedCommitManager : ILogCommitManager
{
    // FASTER names a device's first (here only) segment file "<name>.0".
    private const string FirstSegmentSuffix = ".0";

    // The sector FASTER pads a commit file to (its local storage device's sector size).
    private const int SectorSize = 512;

    private readonly DefaultCheckpointNamingScheme _naming;
    private readonly DeviceLogCommitCheckpointManager _inner;
    private long _durableUntil;
    private long _lastWhole = -1;
    private bool _directoryMade;
    private volatile IOException? _lastFailure;

    public CheckedCommitManager(string directory)
    {
        _naming = new DefaultCheckpointNamingScheme(directory);

        // As FasterLog builds its default manager (commit files on local storage), but outdated ones are removed here.
        _inner = new DeviceLogCommitCheckpointManager(new LocalStorageNamedDeviceFactory(), _naming, removeOutdated: false);
    }

    /// <summary>End of the records whose commit file is whole on disk: what a recovery gets back.</summary>
    public long DurableUntil => Interlocked.Read(ref _durableUntil);

    /// <summary>The failure of the latest commit-file write; null when it was whole.</summary>
    public IOException? LastFailure => _lastFailure;

    /// <summary>Sets the durable end to what a recovery found (the commit it read is whole by definition).</summary>
    public void Recovered(long untilAddress) => Interlocked.Exchange(ref _durableUntil, untilAddress);

    public void Commit(long beginAddress, long untilAddress, byte[] commitMetadata, long commitNum, bool forceWriteMetadata)
    {
        ArgumentNullException.ThrowIfNull(commitMetadata);
        try
        {
            WriteCommitFile(commitNum, commitMetadata);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Thrown into FasterLog's commit worker it would leave the commit task pending for ever: report instead.
            // A partial file (disk full) must not be what the next recovery tries first.
            _lastFailure = new IOException($"commit {commitNum} could not be written whole (is the disk full?): {e.Message}", e);
            TryRemove(commitNum);
            return;
        }

        _lastFailure = null;
        MonotonicRaise(untilAddress);
        var previous = _lastWhole;
        _lastWhole = commitNum;
        if (previous >= 0 && previous != commitNum)
        {
            // Off the commit path, as FASTER's own clean-up: the appenders of this commit need not wait for an unlink.
            ThreadPool.UnsafeQueueUserWorkItem(static state => state.Manager.TryRemove(state.Commit), (Manager: this, Commit: previous), preferLocal: false);
        }
    }

    public IEnumerable<long> ListCommits() => _inner.ListCommits();

    public byte[] GetCommitMetadata(long commitNum) => _inner.GetCommitMetadata(commitNum);

    public void RemoveCommit(long commitNum) => _inner.RemoveCommit(commitNum);

    public void RemoveAllCommits() => _inner.RemoveAllCommits();

    /// <summary>Recovery read <paramref name="commitNum"/>: every other commit file is outdated or not whole.</summary>
    public void OnRecovery(long commitNum)
    {
        foreach (var other in _inner.ListCommits().Where(n => n != commitNum).ToList())
        {
            TryRemove(other);
        }

        _lastWhole = commitNum;
    }

    public void Dispose() => _inner.Dispose();

    /// <summary>
    /// FASTER's commit file, written here: the same file and bytes as its manager writes (the metadata's length, 4 bytes
    /// little-endian, the metadata, zeros to a whole 512-byte sector), which its recovery reads back. FASTER's writer
    /// opened a device per commit and wrote on another thread while this one waited on a semaphore, spinning first:
    /// 7.5% of the host's CPU in an MQTT load run (docs/BENCHMARKS.md), most of it the hand-over. Written through
    /// (O_SYNC) on the committer's thread; the write returns whole or throws, so no stat of the file is needed.
    /// </summary>
    private void WriteCommitFile(long commitNum, byte[] commitMetadata)
    {
        var path = CommitFile(commitNum);
        if (!_directoryMade)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            _directoryMade = true;
        }

        var length = (sizeof(int) + commitMetadata.Length + SectorSize - 1) & ~(SectorSize - 1);
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var bytes = buffer.AsSpan(0, length);
            bytes.Clear();
            BinaryPrimitives.WriteInt32LittleEndian(bytes, commitMetadata.Length);
            commitMetadata.CopyTo(bytes[sizeof(int)..]);
            using var file = File.OpenHandle(path, FileMode.Create, FileAccess.Write, FileShare.Read, FileOptions.WriteThrough);
            RandomAccess.Write(file, bytes, 0);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private string CommitFile(long commitNum)
    {
        var descriptor = _naming.FasterLogCommitMetadata(commitNum);
        return Path.Combine(_naming.BaseName(), descriptor.directoryName, descriptor.fileName + FirstSegmentSuffix);
    }

    private void TryRemove(long commitNum)
    {
        try
        {
            _inner.RemoveCommit(commitNum);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            // Recovery skips a commit file it cannot read; removing it is tidiness, not safety (and the partition
            // may have closed meanwhile).
        }
    }

    private void MonotonicRaise(long untilAddress)
    {
        var seen = Interlocked.Read(ref _durableUntil);
        while (untilAddress > seen)
        {
            var previous = Interlocked.CompareExchange(ref _durableUntil, untilAddress, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }
}
