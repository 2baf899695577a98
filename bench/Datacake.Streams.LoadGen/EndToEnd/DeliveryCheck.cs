namespace Datacake.Streams.LoadGen.EndToEnd;

/// <summary>What the database holds against what was acknowledged.</summary>
/// <param name="Stored">Numbered points found.</param>
/// <param name="Missing">Acknowledged, not found: loss.</param>
/// <param name="Duplicates">Extra copies of a number (stored at another time than its own).</param>
/// <param name="Unacknowledged">Found although its send was not acknowledged (allowed: the ack may have been lost).</param>
/// <param name="Misplaced">Found with a time other than base + seq, or a number never sent.</param>
internal sealed record DeliveryCheck(long Stored, long Missing, long Duplicates, long Unacknowledged, long Misplaced)
{
    public bool ExactlyOnce => Missing == 0 && Duplicates == 0 && Misplaced == 0;

    public static async Task<DeliveryCheck> RunAsync(
        InfluxEndpoint influx, string database, AckedRanges acks, long first, long total, long baseMs, CancellationToken cancellationToken)
    {
        var acked = acks.ToFlags(first, total);
        var seen = new byte[total];
        long stored = 0, misplaced = 0, duplicates = 0;
        await influx.ReadNumberedAsync(
            database,
            first,
            (value, timeMs) =>
            {
                stored++;
                var number = (long)value;
                var seq = number - first;
                if (number != value || seq < 0 || seq >= total)
                {
                    misplaced++;
                    return;
                }

                // A second copy of a number can only be at another time: influxd keeps one point per series and time.
                if (seen[seq] > 0)
                {
                    duplicates++;
                    return;
                }

                seen[seq] = 1;
                if (timeMs != NumberedPoint.TimeMs(baseMs, number))
                {
                    misplaced++;
                }
            },
            cancellationToken);

        long missing = 0, unacknowledged = 0;
        for (var i = 0; i < total; i++)
        {
            if (acked[i] && seen[i] == 0)
            {
                missing++;
            }
            else if (!acked[i] && seen[i] > 0)
            {
                unacknowledged++;
            }
        }

        return new DeliveryCheck(stored, missing, duplicates, unacknowledged, misplaced);
    }
}
