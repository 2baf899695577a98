namespace Datacake.Streams.RecordLog.Faster.Storage;

/// <summary>The group committer: commits when appenders wait, at most once per commit interval.</summary>
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
            try
            {
                await _log.CommitAsync().ConfigureAwait(false);
                batch.CompleteLater();
                _progress.Pulse();
            }
            catch (Exception e)
            {
                // FasterLog refuses every later operation after a failed commit (disk full, I/O error): so do we.
                var failure = new RecordLogUnavailableException($"partition {_name} could not commit: {e.Message}", e);
                _failure = failure;
                Interlocked.Exchange(ref _open, CommitBatch.Refused(failure));
                batch.Fail(failure);
                return;
            }

            if (closing)
            {
                return;
            }
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
