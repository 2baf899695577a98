namespace Datacake.Streams.LoadGen.EndToEnd;

/// <summary>Hands out consecutive blocks of sequence numbers 0..total-1 to concurrent senders.</summary>
internal sealed class SequenceSource(long total)
{
    private long _next;

    public long Total { get; } = total;

    /// <summary>Claims up to <paramref name="count"/> numbers; false when all are taken.</summary>
    public bool TryClaim(int count, out long first, out int claimed)
    {
        first = Interlocked.Add(ref _next, count) - count;
        claimed = (int)Math.Clamp(Total - first, 0, count);
        return claimed > 0;
    }
}
