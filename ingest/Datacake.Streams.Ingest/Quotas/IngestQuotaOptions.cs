using Datacake.Streams.Access;

namespace Datacake.Streams.Ingest.Quotas;

/// <summary>
/// The default ingest quota of every workspace, section "Ingest:Quota": points per second with a burst, per ingest
/// node. The operator sets another per workspace (<c>PUT /v1/ops/workspaces/{id}/quota</c>); that one wins.
/// </summary>
/// <remarks>
/// <para>The unit is the point (one measurement entry: an element of a JSON array body, a whole object body, one
/// webhook uplink), not the message: what a tenant costs the node downstream is per point (processing ~4 CPU-µs and
/// InfluxDB ~5-10 CPU-µs per point, docs/BENCHMARKS.md), and one message carries 1 to 10,000 of them (HTTP bodies up
/// to Ingest:Http:MaxEntries). Counting requests would let a tenant that batches 1,000 per request (the e2e benchmark
/// does: 184k points/s in ~184 requests/s) take 1,000 times what a tenant sending single points gets.</para>
/// <para>The default is a high number, not "unlimited": one code path everywhere (no off switch tests skip), and a
/// runaway device loop meets a ceiling. It must not throttle a single-tenant node, the common self-hosted case: the e2e
/// benchmark drives one workspace at ~150-185k points/s over HTTP (short peaks to ~330k/s after warm-up) and
/// 10-16k msg/s over MQTT, and InfluxDB itself took 252-300k points/s on these machines. 300,000 points/s with two
/// seconds of burst is above all of them, so it protects a node only from what the node could not store anyway; on a
/// node shared by many tenants the operator lowers it here (or per workspace) to a share of that capacity.</para>
/// </remarks>
public sealed record IngestQuotaOptions
{
    public const string Section = "Ingest:Quota";

    /// <summary>Points per second each workspace may send to this node, refilled continuously.</summary>
    public double PointsPerSecond { get; init; } = 300_000;

    /// <summary>Points a workspace may send at once above the rate (the bucket's size): two seconds at the default rate.</summary>
    public double Burst { get; init; } = 600_000;

    /// <summary>The default as the quota a workspace would carry.</summary>
    public IngestQuota ToQuota() => new(PointsPerSecond, Burst);
}
