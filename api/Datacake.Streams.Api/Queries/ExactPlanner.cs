using Datacake.Streams.Api.Retention;

namespace Datacake.Streams.Api.Queries;

/// <summary>
/// The one planner of every read that aggregates (<c>/v1/…/series</c>, <c>/v1/query</c>, and any InfluxQL front end):
/// which tier answers which part of [from, to), such that the answer equals the same aggregate over raw wherever raw
/// still holds the data. Tier choice by <see cref="TierPlanner"/>, then <see cref="ExactSegments"/> over the rollups'
/// watermarks and the devices' late marks (<see cref="RollupLedger"/>, one InfluxDB round trip, only when a rollup
/// segment is planned). Each output segment is run as one statement: its tier, its range, its window.
/// </summary>
public sealed class ExactPlanner(RetentionCatalog catalog, RollupLedger ledger, TimeProvider timeProvider)
{
    /// <param name="deviceIds">The devices the statement reads (a mark of any of them sends its windows to raw for all).</param>
    /// <param name="every">The query's window; null with <paramref name="oneWindow"/>: one value over the whole range; null without it: raw points.</param>
    /// <param name="tier">A tier to read instead of the automatic choice (e.g. an InfluxQL statement naming its policy).</param>
    public async Task<TierPlan> PlanAsync(
        IReadOnlyList<string> deviceIds,
        DateTimeOffset from,
        DateTimeOffset to,
        TimeSpan? every,
        bool oneWindow,
        CancellationToken cancellationToken,
        StorageTier? tier = null)
    {
        RetentionSettings retention = await catalog.CurrentAsync(cancellationToken).ConfigureAwait(false);
        DateTimeOffset now = timeProvider.GetUtcNow();
        TierPlan plan = tier is { } fixedTier ? new TierPlan([new TierSegment(fixedTier, from, to, fixedTier == StorageTier.Raw ? every : every ?? fixedTier.Resolution())])
            : every is null && oneWindow ? new TierPlan([new TierSegment(TierPlanner.Covering(from, retention, now), from, to, null)])
            : TierPlanner.Plan(from, to, every, retention, now);
        if (deviceIds.Count == 0 || plan.Segments.All(s => s.Tier == StorageTier.Raw || s.Every is null))
        {
            return plan;
        }

        RollupFreshness freshness = await ledger.FreshnessAsync(SeriesStatement.DeviceFilter(deviceIds), cancellationToken).ConfigureAwait(false);
        return ExactSegments.Refine(plan, freshness, retention, now);
    }
}
