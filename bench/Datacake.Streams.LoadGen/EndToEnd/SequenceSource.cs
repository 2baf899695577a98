namespace Datacake.Streams.LoadGen.EndToEnd;

/// <summary>
/// Hands out consecutive blocks of the sequence numbers <c>first .. first+total-1</c> to concurrent senders: 0..P-1 for a
/// measured load, a negative range for the warm-up (which the check does not read).
/// </summary>
internal sealed class SequenceSource(long first, long total)
{
    private long _next;

    public SequenceSource(long total)
        : this(0, total)
    {
    }

    public long Total { get; } = total;

    /// <summary>Claims up to <paramref name="count"/> numbers; false when all are taken.</summary>
    public bool TryClaim(int count, out long start, out int claimed)
    {
        var offset = Interlocked.Add(ref _next, count) - count;
        claimed = (int)Math.Clamp(Total - offset, 0, count);
        start = first + offset;
        return claimed > 0;
    }
}
