namespace Datacake.Streams.Storage;

/// <summary>
/// The contract between processing, which writes points, and the rollup refresher, which folds them into the
/// rollup tiers (docs/QUERIES.md "Exact aggregates"): which points are "late", where their marks live, and how long
/// the refresher leaves the newest windows alone.
/// </summary>
/// <remarks>
/// A values write whose records hold a point older than <see cref="MarkAfter"/> carries, in the SAME request (so
/// that the point never lands without its mark), one line per device and day of measurement <see cref="Measurement"/>:
/// <c>dcs_rollup_mark,day=…,device=dev_… from=…i,to=…i &lt;now&gt;</c>, the earliest and latest point time of that
/// device's late points on that UTC day, in ns (<see cref="DayTag"/>). Marks sit in the raw policy because one InfluxDB write names one retention policy,
/// and raw's retention is exactly how long a mark matters. The rollups read <see cref="StorageLayout.AllDevicesPattern"/>
/// only, so a mark is never rolled up. The numbers: a point younger than <see cref="MarkAfter"/> when its write
/// starts, in a write that lasts at most <see cref="WriteAllowance"/> (a longer one re-sends its marks with a fresh
/// time), has landed before any refresh whose cut-off (<c>now − </c><see cref="Settle"/>) is past it, with
/// <see cref="ClockSkew"/> to spare between the processing and api nodes' clocks.
/// </remarks>
public static class RollupMarks
{
    /// <summary>The measurement of the late-window marks, in the raw policy (not a device id: never rolled up).</summary>
    public const string Measurement = "dcs_rollup_mark";

    /// <summary>The measurement of the refresher's per-tier watermark, in the meta policy (field <c>until</c>, written at the time of writing).</summary>
    public const string WatermarkMeasurement = "dcs_rollup_watermark";

    /// <summary>
    /// The measurement of how far each tier has applied the marks, in the meta policy (field <c>until</c>: marks
    /// written at or before it are recomputed in that tier; a mark is deleted once every tier is past it).
    /// </summary>
    public const string ConsumedMeasurement = "dcs_rollup_consumed";

    /// <summary>
    /// Tag of a mark: the UTC day (<c>yyyy-MM-dd</c>) its points fall on. A device's late points are marked per day and
    /// the refresher folds marks per device and day, so that two late points a month apart mark two short spans, not
    /// the month between them: one point 28 days old and one a minute old made the refresher re-read 28 days of that
    /// device's raw at every refresh, a cost any tenant could put on the refresher all tenants share. A day bounds what
    /// one mark can cost to a day of one device's raw, and the tag's values to raw's retention in days per device.
    /// </summary>
    public const string DayTag = "day";

    /// <summary>Nanoseconds in a UTC day.</summary>
    public const long DayNs = 86_400_000_000_000;

    /// <summary>The day number (days since the Unix epoch, floored) of a point at <paramref name="unixNs"/>.</summary>
    public static long Day(long unixNs) => (unixNs >= 0 ? unixNs : unixNs - DayNs + 1) / DayNs;

    /// <summary>The <see cref="DayTag"/> value of day number <paramref name="day"/>.</summary>
    public static string DayText(long day) => DateTimeOffset.UnixEpoch.AddDays(day).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Field of a mark: earliest late point time, Unix ns.</summary>
    public const string FromField = "from";

    /// <summary>Field of a mark: latest late point time, Unix ns.</summary>
    public const string ToField = "to";

    /// <summary>
    /// A point older than this when its write starts is marked. 30 s: devices and adapters deliver within seconds,
    /// so points written as they come are never marked; a backlog being caught up is (a recompute per batch).
    /// </summary>
    public static readonly TimeSpan MarkAfter = TimeSpan.FromSeconds(30);

    /// <summary>A values write that took longer than this re-sends its marks (fresh time, bound taken again).</summary>
    public static readonly TimeSpan WriteAllowance = TimeSpan.FromSeconds(30);

    /// <summary>Tolerated difference between the clocks of processing and api nodes (NTP keeps them within ms).</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The refresher rolls windows that end at least this long ago, and consumes marks at least
    /// <see cref="WriteAllowance"/> + <see cref="ClockSkew"/> old: 90 s. Queries read everything newer from raw.
    /// </summary>
    public static readonly TimeSpan Settle = MarkAfter + WriteAllowance + ClockSkew;

    /// <summary>Marks at least this old are consumed by a refresh: any mark written later carries a later time.</summary>
    public static readonly TimeSpan ConsumeAfter = WriteAllowance + ClockSkew;
}
