namespace Datacake.Streams.LoadGen.EndToEnd;

/// <summary>
/// Hands out consecutive blocks of the sequence numbers <c>first .. first+total-1</c> to concurrent senders: 0..P-1 for a
/// measured load, a negative range for the warm-up (which the check does not read), P.. for the half-load run after
/// a saturated one. With an <see cref="OfferedRate"/>, a claim waits until its numbers have been released.
/// </summary>
internal sealed class SequenceSource(long first, long total, OfferedRate? pace = null)
{
    private long _next;
    private volatile bool _stopped;

    public SequenceSource(long total)
        : this(0, total)
    {
    }

    public long Total { get; } = total;

    public long First { get; } = first;

    /// <summary>True when claims wait for an <see cref="OfferedRate"/>.</summary>
    public bool Paced => pace is not null;

    /// <summary>
    /// Claims up to <paramref name="count"/> numbers (fewer only at the end, or when <paramref name="partial"/>);
    /// <see cref="Claim.Count"/> 0 when all are taken or <see cref="Stop"/> was called. Paced, waits until the whole
    /// claim is released, or with <paramref name="partial"/> until at least one number is.
    /// </summary>
    public async ValueTask<Claim> ClaimAsync(int count, CancellationToken cancellationToken, bool partial = false)
    {
        var credit = int.MaxValue;
        if (pace is not null)
        {
            var want = (int)Math.Clamp(Total - Volatile.Read(ref _next), 0, count);
            if (want == 0 || _stopped)
            {
                return default;
            }

            credit = 0;
            while (credit < (partial ? 1 : want))
            {
                await pace.TakeAsync(cancellationToken);
                credit++;
            }

            while (credit < want && pace.TryTake())
            {
                credit++;
            }
        }

        while (true)
        {
            var next = Volatile.Read(ref _next);
            var claimed = (int)Math.Clamp(Total - next, 0, Math.Min(count, credit));
            if (claimed == 0 || _stopped)
            {
                return default;
            }

            if (Interlocked.CompareExchange(ref _next, next + claimed, next) == next)
            {
                return new Claim(First + next, claimed);
            }
        }
    }

    /// <summary>Hands out nothing more: a timed load (<c>loadgen mqtt --seconds</c>) ends its senders gracefully.</summary>
    public void Stop() => _stopped = true;

    /// <summary>True once every number has been claimed.</summary>
    public bool Exhausted => Volatile.Read(ref _next) >= Total;
}
