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
/// Makes InfluxDB hold the tiers: database, policies (raw DEFAULT), the rollup settings the refresher reads
/// (<see cref="RollupLedger"/>; continuous queries of versions before are dropped, the refresher starting where they
/// left off), and a backfill when a rollup tier's look-back grew. Idempotent: applying the same settings twice changes
/// nothing and backfills nothing. Applies are serialized.
/// </summary>
public sealed partial class RetentionProvisioner(
    InfluxClient influx,
    RetentionCatalog catalog,
    RetentionBackfills backfills,
    RollupLedger ledger,
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
            IReadOnlyDictionary<StorageTier, DateTimeOffset>? watermarks = null;
            foreach ((StorageTier tier, bool added) in new[] { (StorageTier.M1, m1Added), (StorageTier.H1, h1Added) })
            {
                RollupSettings rollup = desired.Rollup(tier);
                observed.Rollups.TryGetValue(tier, out RollupSettings? stored);
                observed.LegacyContinuousQueries.TryGetValue(tier, out ObservedContinuousQuery? legacy);
                TimeSpan? everyBefore = stored?.RefreshEvery ?? legacy?.Every;
                TimeSpan? lookBackBefore = stored?.LookBack ?? legacy?.LookBack;
                if (added)
                {
                    // A watermark left from an earlier life of the tier would vouch for windows it no longer holds.
                    await ledger.ForgetWatermarkAsync(tier, cancellationToken).ConfigureAwait(false);
                }

                if (legacy is not null)
                {
                    // The continuous query recomputed its last look-back on every run: everything older was rolled up
                    // when it stopped. The refresher starts there (late points older than that look-back were never
                    // marked before; nothing can find them now) unless a refresher already went further.
                    await influx.ExecuteAsync(RetentionStatements.DropContinuousQuery(db, tier), db, cancellationToken).ConfigureAwait(false);
                    watermarks ??= await ledger.WatermarksAsync(cancellationToken).ConfigureAwait(false);
                    if (!watermarks.ContainsKey(tier) && !added)
                    {
                        DateTimeOffset leftOff = RollupWindows.Floor(now - legacy.LookBack, tier.Resolution());
                        await ledger.WriteWatermarkAsync(tier, leftOff, now, cancellationToken).ConfigureAwait(false);
                    }

                    changes.Add(new RetentionChange(tier.Name() + ".continuousQuery", RetentionStatements.ContinuousQueryName(tier), "rollup refresher"));
                }

                if (stored is null || stored.RefreshEvery != rollup.RefreshEvery || stored.LookBack != rollup.LookBack)
                {
                    await ledger.WriteSettingsAsync(tier, rollup, now, cancellationToken).ConfigureAwait(false);
                    string name = tier.Name();
                    if (everyBefore != rollup.RefreshEvery)
                    {
                        changes.Add(new RetentionChange(name + ".refreshEvery", Format(everyBefore), InfluxDuration.Format(rollup.RefreshEvery)));
                    }

                    if (lookBackBefore != rollup.LookBack)
                    {
                        changes.Add(new RetentionChange(name + ".lookBack", Format(lookBackBefore), InfluxDuration.Format(rollup.LookBack)));
                    }
                }

                // A new tier has no watermark: the refresher rolls up everything raw holds, oldest first, while
                // queries read raw above the watermark. A longer look-back recomputes the window it adds once (an
                // operator's re-sweep; late points are found by their marks, not by the look-back).
                if (added)
                {
                    windows.Add(BackfillWindow.Covering(tier, now - desired.Raw, now, "tier added: the rollup refresher catches up"));
                }
                else if (lookBackBefore is { } before && rollup.LookBack > before)
                {
                    BackfillWindow window = BackfillWindow.Covering(tier, now - rollup.LookBack, now, "look-back grew");
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
