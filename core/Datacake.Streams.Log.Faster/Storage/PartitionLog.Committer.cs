namespace Datacake.Streams.RecordLog.Faster.Storage;

/// <summary>
/// The group committer: commits when appenders wait, at most once per commit interval. After a failed commit it
/// fails the commit's appenders (never acknowledged), refuses appends for <see cref="ILogSettings.ReopenDelay"/>,
/// and reopens the files at the last whole commit: FasterLog refuses everything after one failed flush.
/// </summary>
internal sealed partial class PartitionLog
{
    private async Task RunCommitterAsync()
    {
        var lastCommit = _time.GetTimestamp() - _commitInterval.Ticks;
        while (true)
        {
            var hasWork = await WaitForAppendersAsync().ConfigureAwait(false);
            if (hasWork)
            {
                // Under load this is where batches form: the next commit waits until an interval after the last one
                // began; a lone append after a quiet period commits at once.
                var wait = _commitInterval - _time.GetElapsedTime(lastCommit);
                if (wait > TimeSpan.Zero && !_closing)
                {
                    await Task.Delay(wait, _time).ConfigureAwait(false);
                }
            }

            lastCommit = _time.GetTimestamp();
            var closing = _closing;
            var next = closing ? CommitBatch.Refused(new RecordLogUnavailableException($"partition {_name} is closed")) : new CommitBatch();

            // Every appender of the swapped batch enqueued before it read the batch, so before this swap:
            // the commit below (up to the tail as of after the swap) covers all of them.
            var batch = Interlocked.Exchange(ref _open, next);
            var failure = await CommitAsync().ConfigureAwait(false);
            if (failure is null)
            {
                batch.CompleteLater();
                _progress.Pulse();
            }
            else
            {
                batch.Fail(failure);
                if (!closing)
                {
                    await ReopenAsync(failure).ConfigureAwait(false);
                }
            }

            if (closing)
            {
                return;
            }
        }
    }

    /// <summary>Commits up to the tail; the failure when the records or the commit file did not reach the disk whole.</summary>
    private async Task<RecordLogUnavailableException?> CommitAsync()
    {
        await _commitGate.WaitAsync().ConfigureAwait(false);
        try
        {
            var files = _files;
            await files.Log.CommitAsync().ConfigureAwait(false);
            return files.Commits.LastFailure is { } unwritten
                ? new RecordLogUnavailableException($"partition {_name} could not commit: {unwritten.Message}", unwritten)
                : null;
        }
        catch (Exception e)
        {
            return new RecordLogUnavailableException($"partition {_name} could not commit: {e.Message}", e);
        }
        finally
        {
            _commitGate.Release();
        }
    }

    /// <summary>
    /// Refuses appends, fails every append that entered the failed log, waits the reopen delay (the disk gets a chance
    /// to free up, and writes the failed log still had under way finish), then opens the files again. A reopen that
    /// fails is tried again after the same delay; the partition closing ends the wait.
    /// </summary>
    private async Task ReopenAsync(RecordLogUnavailableException failure)
    {
        _refusal = failure;
        Interlocked.MemoryBarrier();

        // An appender that passed the check before the refusal enqueued into the failed log: whichever batch it reads,
        // the one swapped out here or the refused one, fails.
        Interlocked.Exchange(ref _open, CommitBatch.Refused(failure)).Fail(failure);
        var spin = new SpinWait();
        while (Volatile.Read(ref _activeAppends) != 0)
        {
            spin.SpinOnce();
        }

        while (!_closing)
        {
            try
            {
                await Task.Delay(_options.ReopenDelay, _time, _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (_closing || !await TryReopenAsync().ConfigureAwait(false))
            {
                continue;
            }

            // A fresh batch before the refusal goes: an appender that sees no refusal finds a batch the next commit covers.
            Interlocked.Exchange(ref _open, new CommitBatch());
            _refusal = null;
            _progress.Pulse();
            return;
        }
    }

    private async Task<bool> TryReopenAsync()
    {
        await _commitGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_closing)
            {
                return false;
            }

            LogOpening fresh;
            try
            {
                fresh = LogOpening.Open(_directory, _options);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FASTER.core.FasterException)
            {
                _refusal = new RecordLogUnavailableException($"partition {_name} could not reopen its files: {e.Message}", e);
                return false;
            }

            var failed = _files;
            _files = fresh;
            lock (_retired)
            {
                _retired.RemoveAll(retired => retired.IsClosed);
                _retired.Add(failed);
            }

            // Readers move to the new files at their next read and drop the old ones; the last closes them.
            failed.Release();
            return true;
        }
        finally
        {
            _commitGate.Release();
        }
    }

    /// <summary>Parks until an appender waits on the open batch. False when the log closes with nobody waiting.</summary>
    private async ValueTask<bool> WaitForAppendersAsync()
    {
        while (true)
        {
            if (Volatile.Read(ref _open).IsTaken)
            {
                return true;
            }

            if (_closing)
            {
                return false;
            }

            // Announce the park with a full fence, then look again: the first appender of a batch marks it
            // (fenced) before it reads _parked, so either it sees the park and wakes us or we see the mark here.
            Interlocked.Exchange(ref _parked, 1);
            if ((Volatile.Read(ref _open).IsTaken || _closing) && Interlocked.CompareExchange(ref _parked, 0, 1) == 1)
            {
                continue;
            }

            await _wake.WaitAsync().ConfigureAwait(false);
        }
    }
}
