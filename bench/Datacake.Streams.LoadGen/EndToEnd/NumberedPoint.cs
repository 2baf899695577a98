using System.Globalization;
using System.Text;

namespace Datacake.Streams.LoadGen.EndToEnd;

/// <summary>
/// One 5-value point whose <c>seq</c> field numbers it uniquely within a scenario, so that the check can find every
/// acknowledged point in InfluxDB exactly once. Its time is <c>base + seq</c> milliseconds: unique per device (points of
/// one series with equal timestamps overwrite each other) and deterministic, so a re-delivered point rewrites itself.
/// </summary>
internal static class NumberedPoint
{
    /// <summary>The probe point that proves a path is live before the clock starts; the check ignores it.</summary>
    public const long ProbeSeq = -1;

    public static long TimeMs(long baseMs, long seq) => baseMs + seq;

    /// <summary>The first number of a warm-up of <paramref name="points"/>: just below the probe, so times stay unique and the check (seq ≥ 0) ignores it.</summary>
    public static long WarmupFirst(long points) => ProbeSeq - points;

    /// <summary>A modulo that stays in 0..m-1 for the negative numbers of the warm-up as well.</summary>
    public static long Modulo(long value, long m) => ((value % m) + m) % m;

    /// <summary><c>{"time":T,"values":{...}}</c>, the entry of a JSON measurement array (docs/INGEST.md).</summary>
    public static void AppendJsonEntry(StringBuilder json, long baseMs, long seq)
    {
        json.Append("{\"time\":").Append(TimeMs(baseMs, seq).ToString(CultureInfo.InvariantCulture))
            .Append(",\"values\":{\"seq\":").Append(seq.ToString(CultureInfo.InvariantCulture))
            .Append(",\"temperature\":").Append((20 + (seq % 100 / 10.0)).ToString("0.0", CultureInfo.InvariantCulture))
            .Append(",\"humidity\":").Append((seq % 100).ToString(CultureInfo.InvariantCulture))
            .Append(",\"pressure\":").Append((1000 + (seq % 50)).ToString(CultureInfo.InvariantCulture))
            .Append(",\"battery\":").Append((3 + (seq % 10 / 10.0)).ToString("0.0", CultureInfo.InvariantCulture))
            .Append("}}");
    }

    /// <summary>A one-entry array: the MQTT payload of one device message.</summary>
    public static byte[] MqttPayload(long baseMs, long seq)
    {
        var json = new StringBuilder(128).Append('[');
        AppendJsonEntry(json, baseMs, seq);
        return Encoding.UTF8.GetBytes(json.Append(']').ToString());
    }

    /// <summary>
    /// The point processing writes (tag <c>device</c>, float fields, ms time), in one shared measurement <c>values</c>
    /// as the Node-RED peer writes it; processing writes one measurement per device (docs/DATA-MODEL.md). The direct
    /// writers are the ceiling: they keep the single measurement, which asks influxd for no more than the per-device
    /// one (the same series, one set of field keys). <see cref="InfluxEndpoint"/> counts every measurement.
    /// </summary>
    public static void AppendLine(StringBuilder lines, string device, long baseMs, long seq) =>
        AppendFields(lines.Append("values,device=").Append(device), baseMs, seq);

    /// <summary>The same point as a line of <c>/write</c>'s virtual measurement (the device is the token's).</summary>
    public static void AppendWriteLine(StringBuilder lines, long baseMs, long seq) => AppendFields(lines.Append("measurements"), baseMs, seq);

    private static void AppendFields(StringBuilder lines, long baseMs, long seq)
    {
        lines.Append(" seq=").Append(seq.ToString(CultureInfo.InvariantCulture))
            .Append(",temperature=").Append((20 + (seq % 100 / 10.0)).ToString("0.0", CultureInfo.InvariantCulture))
            .Append(",humidity=").Append((seq % 100).ToString(CultureInfo.InvariantCulture))
            .Append(",pressure=").Append((1000 + (seq % 50)).ToString(CultureInfo.InvariantCulture))
            .Append(",battery=").Append((3 + (seq % 10 / 10.0)).ToString("0.0", CultureInfo.InvariantCulture))
            .Append(' ').Append(TimeMs(baseMs, seq).ToString(CultureInfo.InvariantCulture)).Append('\n');
    }
}
