using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.Querying;

namespace Datacake.Streams.Api.Retention;

/// <summary>How <see cref="RetentionProvisioner.ApplyAsync"/> treats what already exists.</summary>
public enum ApplyMode
{
    /// <summary>Create what is missing, keep existing policies and queries as they are (start-up default).</summary>
    CreateMissing,

    /// <summary>Make InfluxDB match the given settings (PUT, or start-up with ConfigurationWins).</summary>
    Enforce,
}

/// <summary>One setting that changed, in the API's duration spelling.</summary>
public sealed record RetentionChange(string Setting, string? From, string To);

/// <summary>The answer of an apply: the settings now live, what changed, which windows are being recomputed.</summary>
public sealed record RetentionApplied(RetentionSettings Settings, IReadOnlyList<RetentionChange> Changes, IReadOnlyList<BackfillWindow> Backfills);

/// <summary>
/// Makes InfluxDB hold the tiers: database, policies (raw DEFAULT), one continuous query per rollup tier, and a
/// backfill when a rollup tier is new or its look-back grew. Idempotent: applying the same settings twice changes
/// nothing and backfills nothing. Applies are serialized.
/// </summary>
public sealed partial class RetentionProvisioner(
    InfluxClient influx,
    RetentionCatalog catalog,
    RetentionBackfills backfills,
    TimeProvider timeProvider,
    ILogger<RetentionProvisioner> logger)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<RetentionApplied> ApplyAsync(RetentionSettings requested, ApplyMode mode, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            string db = catalog.Database;
            ObservedRetention observed = await catalog.ObserveAsync(cancellationToken).ConfigureAwait(false);
            RetentionSettings desired = mode == ApplyMode.CreateMissing ? observed.Overlay(requested) : requested;
            Dictionary<string, string[]> errors = desired.Validate();
            if (errors.Count > 0)
            {
                throw new ArgumentException("Invalid retention settings: " + string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")), nameof(requested));
            }

            var changes = new List<RetentionChange>();
            if (!observed.DatabaseExists)
            {
                await influx.ExecuteAsync(RetentionStatements.CreateDatabase(db), db, cancellationToken).ConfigureAwait(false);
                changes.Add(new RetentionChange("database", null, db));
            }

            await EnsurePolicyAsync(observed, RetentionPolicyNames.Raw, desired.Raw, isDefault: true, changes, cancellationToken).ConfigureAwait(false);
            bool m1Added = await EnsurePolicyAsync(observed, RetentionPolicyNames.M1, desired.M1.Duration, isDefault: false, changes, cancellationToken).ConfigureAwait(false);
            bool h1Added = await EnsurePolicyAsync(observed, RetentionPolicyNames.H1, desired.H1.Duration, isDefault: false, changes, cancellationToken).ConfigureAwait(false);
            await EnsurePolicyAsync(observed, RetentionPolicyNames.Meta, desired.Meta, isDefault: false, changes, cancellationToken).ConfigureAwait(false);

            var windows = new List<BackfillWindow>();
            DateTimeOffset now = timeProvider.GetUtcNow();
            foreach ((StorageTier tier, bool added) in new[] { (StorageTier.M1, m1Added), (StorageTier.H1, h1Added) })
            {
                RollupSettings rollup = desired.Rollup(tier);
                observed.ContinuousQueries.TryGetValue(tier, out ObservedContinuousQuery? existing);
                if (existing is null || existing.Every != rollup.RefreshEvery || existing.LookBack != rollup.LookBack
                    || !RetentionStatements.ReadsDeviceMeasurements(existing.Query))
                {
                    // A continuous query cannot be altered: drop and create, back to back.
                    if (existing is not null)
                    {
                        await influx.ExecuteAsync(RetentionStatements.DropContinuousQuery(db, tier), db, cancellationToken).ConfigureAwait(false);
                    }

                    await influx.ExecuteAsync(RetentionStatements.CreateContinuousQuery(db, tier, rollup), db, cancellationToken).ConfigureAwait(false);
                    string name = tier.Name();
                    if (existing?.Every != rollup.RefreshEvery)
                    {
                        changes.Add(new RetentionChange(name + ".refreshEvery", Format(existing?.Every), InfluxDuration.Format(rollup.RefreshEvery)));
                    }

                    if (existing?.LookBack != rollup.LookBack)
                    {
                        changes.Add(new RetentionChange(name + ".lookBack", Format(existing?.LookBack), InfluxDuration.Format(rollup.LookBack)));
                    }
                }

                // A new tier gets everything raw still holds; a longer look-back (or a query that was missing)
                // gets the new look-back once, since the continuous query only recomputes from now on.
                TimeSpan? reach = added ? desired.Raw
                    : existing is null || rollup.LookBack > existing.LookBack ? rollup.LookBack
                    : null;
                if (reach is { } span)
                {
                    BackfillWindow window = BackfillWindow.Covering(tier, now - span, now, added ? "tier added" : "look-back grew");
                    windows.Add(window);
                    backfills.Enqueue(window);
                }
            }

            catalog.Publish(desired);
            foreach (RetentionChange change in changes)
            {
                LogChanged(logger, db, change.Setting, change.From ?? "(none)", change.To);
            }

            return new RetentionApplied(desired, changes, windows);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static string? Format(TimeSpan? duration) => duration is { } d ? InfluxDuration.Format(d) : null;

    /// <summary>Creates or alters one policy; true when it had to be created.</summary>
    private async Task<bool> EnsurePolicyAsync(ObservedRetention observed, string policy, TimeSpan duration, bool isDefault, List<RetentionChange> changes, CancellationToken cancellationToken)
    {
        string db = catalog.Database;
        TimeSpan shard = RetentionStatements.ShardDuration(duration);
        if (!observed.Policies.TryGetValue(policy, out ObservedPolicy? existing))
        {
            await influx.ExecuteAsync(RetentionStatements.CreatePolicy(db, policy, duration, isDefault), db, cancellationToken).ConfigureAwait(false);
            changes.Add(new RetentionChange(policy + ".duration", null, InfluxDuration.Format(duration)));
            return true;
        }

        if (existing.Duration != duration || existing.ShardDuration != shard || (isDefault && !existing.IsDefault))
        {
            await influx.ExecuteAsync(RetentionStatements.AlterPolicy(db, policy, duration, isDefault), db, cancellationToken).ConfigureAwait(false);
            if (existing.Duration != duration)
            {
                changes.Add(new RetentionChange(policy + ".duration", InfluxDuration.Format(existing.Duration), InfluxDuration.Format(duration)));
            }

            if (existing.ShardDuration != shard)
            {
                changes.Add(new RetentionChange(policy + ".shardDuration", InfluxDuration.Format(existing.ShardDuration), InfluxDuration.Format(shard)));
            }

            if (isDefault && !existing.IsDefault)
            {
                changes.Add(new RetentionChange(policy + ".default", "false", "true"));
            }
        }

        return false;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention of {Database}: {Setting} {From} -> {To}")]
    private static partial void LogChanged(ILogger logger, string database, string setting, string from, string to);
}
