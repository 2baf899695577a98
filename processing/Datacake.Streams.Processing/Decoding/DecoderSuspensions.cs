using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace Datacake.Streams.Processing.Decoding;

/// <summary>
/// Which decoders are suspended: one that hit a sandbox limit <c>suspendAfter</c> times within <c>window</c> is not
/// run again until it is edited (a new source is a new version; its count starts at zero). Its records are
/// dead-lettered <c>decoder_suspended</c>, which the owner sees like every other dead letter.
/// </summary>
/// <remarks>
/// Only limit hits count (time, memory, statements, recursion, array and string size): they are what a decoder costs
/// the other workspaces of its partition, up to the budget each. A decoder that fails fast (throws, answers
/// <c>errors</c>) costs only its own records, and suspending it would drop the good records of its owner's other
/// devices. The state is per process and in memory: after a restart a suspended decoder gets <c>suspendAfter</c>
/// more hits, again at most that many budgets. Thread-safe.
/// </remarks>
public sealed class DecoderSuspensions
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly int _suspendAfter;
    private readonly TimeSpan _window;
    private readonly TimeProvider _time;

    public DecoderSuspensions(int suspendAfter, TimeSpan window, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(suspendAfter, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(time);
        _suspendAfter = suspendAfter;
        _window = window;
        _time = time;
    }

    /// <summary>Decoders suspended now (any version).</summary>
    public int SuspendedCount => _entries.Values.Count(e => e.Suspended is not null);

    /// <summary>True (with the reason) when this version of the decoder is suspended.</summary>
    public bool IsSuspended(string decoderId, ulong sourceHash, [NotNullWhen(true)] out string? reason)
    {
        reason = null;
        if (!_entries.TryGetValue(decoderId, out var entry))
        {
            return false;
        }

        lock (entry)
        {
            if (entry.SourceHash != sourceHash)
            {
                // Edited: the new version starts clean. The old version's records still in flight run it again.
                return false;
            }

            reason = entry.Suspended;
            return reason is not null;
        }
    }

    /// <summary>This version's suspension (why and since when), for the owner to see; false while it runs.</summary>
    public bool TryGetSuspension(string decoderId, ulong sourceHash, [NotNullWhen(true)] out DecoderSuspension? suspension)
    {
        suspension = null;
        if (!_entries.TryGetValue(decoderId, out var entry))
        {
            return false;
        }

        lock (entry)
        {
            if (entry.SourceHash != sourceHash || entry.Suspended is null)
            {
                return false;
            }

            suspension = new DecoderSuspension(entry.Suspended, entry.Since);
            return true;
        }
    }

    /// <summary>Counts a limit hit of this version; true when it suspended the decoder.</summary>
    public bool LimitHit(string decoderId, ulong sourceHash, string error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var now = _time.GetUtcNow();
        var entry = _entries.GetOrAdd(decoderId, static (_, hash) => new Entry(hash), sourceHash);
        lock (entry)
        {
            if (entry.SourceHash != sourceHash)
            {
                entry.Restart(sourceHash);
            }

            if (entry.Suspended is not null)
            {
                return false;
            }

            while (entry.Hits.TryPeek(out var first) && now - first >= _window)
            {
                entry.Hits.Dequeue();
            }

            entry.Hits.Enqueue(now);
            if (entry.Hits.Count < _suspendAfter)
            {
                return false;
            }

            entry.Suspended = $"decoder {decoderId} is suspended after {entry.Hits.Count} limit hits within "
                + $"{_window.TotalMinutes:0.#} min (last: {error}); edit the decoder to resume it";
            entry.Since = now;
            entry.Hits.Clear();
            return true;
        }
    }

    private sealed class Entry(ulong sourceHash)
    {
        public ulong SourceHash { get; private set; } = sourceHash;

        public Queue<DateTimeOffset> Hits { get; } = new();

        public string? Suspended { get; set; }

        public DateTimeOffset Since { get; set; }

        public void Restart(ulong sourceHash)
        {
            SourceHash = sourceHash;
            Hits.Clear();
            Suspended = null;
        }
    }
}
