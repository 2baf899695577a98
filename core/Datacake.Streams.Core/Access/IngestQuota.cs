namespace Datacake.Streams.Access;

/// <summary>
/// A workspace's ingest ceiling set by the operator: points (measurement entries: one per JSON entry, one per webhook
/// uplink) per second, refilled continuously, and the burst the bucket holds. Carried on <see cref="WorkspaceEntry"/>
/// through <c>dcs.registry</c>; a workspace without one gets the ingest nodes' configured default.
/// </summary>
public sealed record IngestQuota(double PointsPerSecond, double Burst)
{
    /// <summary>Above any node's reach (InfluxDB itself takes ~300k points/s here): a larger number is a typo.</summary>
    public const double MaxPointsPerSecond = 100_000_000;

    /// <summary>Why the quota cannot work, by field (camelCase, as the API names them); empty when it can.</summary>
    public IReadOnlyDictionary<string, string[]> Check()
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!double.IsFinite(PointsPerSecond) || PointsPerSecond <= 0 || PointsPerSecond > MaxPointsPerSecond)
        {
            errors["pointsPerSecond"] = [$"above 0 and at most {MaxPointsPerSecond:0}"];
        }

        // At least one point: a bucket that can never hold one message would refuse everything forever.
        if (!double.IsFinite(Burst) || Burst < 1 || Burst > MaxPointsPerSecond * 3600)
        {
            errors["burst"] = ["at least 1 and at most an hour at the largest rate"];
        }

        return errors;
    }
}
