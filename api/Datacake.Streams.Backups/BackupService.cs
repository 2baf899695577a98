using Datacake.Streams.Files;
using Datacake.Streams.Influx.Client;

namespace Datacake.Streams.Backups;

/// <summary>What a backup run should include.</summary>
public sealed record BackupRequest(bool MetadataStore = true, bool ForceFull = false)
{
    /// <summary>When set, the backup's start (and so its id); else the time it takes the lock.</summary>
    public DateTimeOffset? StartedAt { get; init; }
}

/// <summary>
/// Takes backups (InfluxDB portable backups per retention policy, measurements first, then the metadata store),
/// writes the manifest, copies each backup to the second site and verifies the copy, and prunes both sites.
/// One backup or restore at a time.
/// </summary>
public sealed partial class BackupService
{
    private readonly InfluxClient _influx;
    private readonly InfluxdTool _tool;
    private readonly BackupOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<BackupService> _logger;
    private readonly IMetadataSnapshot? _metadata;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public BackupService(
        InfluxClient influx, BackupOptions options, string primaryDirectory, TimeProvider time, ILogger<BackupService> logger, IMetadataSnapshot? metadata = null)
    {
        _influx = influx;
        _options = options;
        _time = time;
        _logger = logger;
        _metadata = metadata;
        _tool = new InfluxdTool(options.InfluxdPath, options.BackupHost, options.ToolTimeout);
        Primary = new BackupCatalog(primaryDirectory);
        Secondary = new BackupCatalog(Path.GetFullPath(options.SecondaryDirectory!));
    }

    public BackupCatalog Primary { get; }

    public BackupCatalog Secondary { get; }

    public string Database => _influx.Options.Database;

    public InfluxdTool Tool => _tool;

    public InfluxClient Influx => _influx;

    /// <summary>The id of the backup being taken, if any (listed as running).</summary>
    public string? Running { get; private set; }

    /// <summary>The newest backup of the primary site.</summary>
    public BackupManifest? Latest => Primary.List().LastOrDefault()?.Manifest;

    /// <summary>
    /// Starts a backup in the background and returns its id at once (the API's 202); a failure is kept in
    /// <see cref="LastFailure"/>. Busy when another backup or restore runs.
    /// </summary>
    public string Begin(BackupRequest request)
    {
        if (!_gate.Wait(TimeSpan.Zero))
        {
            throw new BackupException(BackupFailure.Busy, $"a backup or restore is running ({Running ?? "restore"}); try again when it is done");
        }

        var startedAt = _time.GetUtcNow();
        var id = BackupIds.For(startedAt);
        Running = id;
        _ = Task.Run(async () =>
        {
            try
            {
                await TakeLockedAsync(request with { StartedAt = startedAt }, null, CancellationToken.None);
            }
            catch (Exception ex) when (ex is BackupException or IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                LastFailure = (id, ex.Message);
                LogFailed(_logger, id, ex.Message);
            }
            finally
            {
                Running = null;
                _gate.Release();
            }
        });
        return id;
    }

    /// <summary>The last backup started with <see cref="Begin"/> that failed, and why.</summary>
    public (string Id, string Reason)? LastFailure { get; private set; }

    /// <summary>Takes a backup now; waits for one that is running to finish first.</summary>
    public async Task<BackupManifest> TakeAsync(BackupRequest request, CancellationToken cancellationToken, IProgress<string>? progress = null)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await TakeLockedAsync(request, progress, cancellationToken);
        }
        finally
        {
            Running = null;
            _gate.Release();
        }
    }

    /// <summary>
    /// Whether influxd holds the database yet (false too while influxd does not answer): on a new deployment the api's
    /// retention service creates it a few seconds after start, and a backup before that could only fail.
    /// </summary>
    public async Task<bool> DatabaseExistsAsync(CancellationToken cancellationToken)
    {
        try
        {
            var result = await _influx.QueryAsync("SHOW DATABASES", cancellationToken: cancellationToken);
            return result.Statements.SelectMany(s => s.Series).Any(series => Enumerable.Range(0, series.Values.Count).Any(row => series.GetString(row, "name") == Database));
        }
        catch (InfluxException)
        {
            return false;
        }
    }

    /// <summary>Runs <paramref name="work"/> alone (no backup meanwhile), or fails with Busy when something else runs.</summary>
    public async Task<T> ExclusiveAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken)
    {
        if (!await _gate.WaitAsync(TimeSpan.Zero, cancellationToken))
        {
            throw new BackupException(BackupFailure.Busy, $"a backup or restore is running ({Running ?? "restore"}); try again when it is done");
        }

        try
        {
            return await work();
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<BackupManifest> TakeLockedAsync(BackupRequest request, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var startedAt = request.StartedAt ?? _time.GetUtcNow();
        var id = BackupIds.For(startedAt);
        if (Primary.TryRead(id) is not null)
        {
            // Two backups in the same millisecond (tests with a frozen clock): the later one waits a tick.
            startedAt = startedAt.AddMilliseconds(1);
            id = BackupIds.For(startedAt);
        }

        Running = id;

        // Whole seconds: influxd's -since takes RFC 3339 seconds; rounding down only widens the next incremental.
        var end = Truncate(startedAt - _options.CountLag);
        var previous = Latest;
        // previous.End after this end: the clock stepped back since. An incremental from there would cover nothing,
        // and the points received after the step (dated before previous.End) would be in no backup: a new chain.
        var full = request.ForceFull || previous is null || previous.Database != Database || previous.End > end
            || startedAt - Primary.TryRead(previous.BaseId)?.Manifest.StartedAt >= _options.FullInterval
            || !ChainIsComplete(Primary, previous);

        var folder = Primary.FolderOf(id) + ".partial";
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }

        PrivateFile.CreateDirectory(folder);
        try
        {
            return await WriteBackupAsync(request, progress, id, startedAt, end, previous, full, folder, cancellationToken);
        }
        catch
        {
            // Nothing half-written stays behind: a failed backup's folder never becomes a restore point, and leaving
            // it would only fill the disk (each try has its own id).
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }

            throw;
        }
    }

    private async Task<BackupManifest> WriteBackupAsync(
        BackupRequest request, IProgress<string>? progress, string id, DateTimeOffset startedAt, DateTimeOffset end, BackupManifest? previous, bool full, string folder, CancellationToken cancellationToken)
    {
        var policies = await InfluxCounts.PoliciesAsync(_influx, Database, cancellationToken);
        var counts = new SortedDictionary<string, IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>>>(StringComparer.Ordinal);
        var settled = true;
        foreach (var policy in policies)
        {
            progress?.Report($"influx {policy}");
            var (policyCounts, policySettled) = await BackupPolicyAsync(
                folder, policy, full || !previous!.RetentionPolicies.Contains(policy) ? null : previous.End, end, cancellationToken);
            counts[policy] = policyCounts;
            settled &= policySettled;
        }

        var metadataStore = false;
        if (request.MetadataStore && _metadata is not null)
        {
            progress?.Report("metadata store");
            var metadataFolder = Path.Combine(folder, "metadata");
            PrivateFile.CreateDirectory(metadataFolder);
            await _metadata.WriteSnapshotAsync(Path.Combine(metadataFolder, IMetadataSnapshot.FileName), cancellationToken);
            metadataStore = true;
        }

        progress?.Report("checksums");
        var manifest = new BackupManifest
        {
            Id = id,
            Kind = full ? BackupKind.Full : BackupKind.Incremental,
            BaseId = full ? id : previous!.BaseId,
            PreviousId = full ? null : previous!.Id,
            Database = Database,
            Since = full ? null : previous!.End,
            End = end,
            StartedAt = startedAt,
            FinishedAt = _time.GetUtcNow(),
            RetentionPolicies = policies,
            MetadataStore = metadataStore,
            Files = await BackupChecksums.ComputeAsync(folder, cancellationToken),
            Counts = counts,
            CountsSettled = settled,
        };
        BackupCatalog.WriteJson(Path.Combine(folder, BackupManifest.FileName), manifest);
        Directory.Move(folder, Primary.FolderOf(id));

        progress?.Report("copy to secondary");
        var copyProblems = await CopyToSecondaryAsync(manifest, cancellationToken);
        var primaryProblems = await BackupChecksums.CompareAsync(Primary.FolderOf(id), manifest.Files, cancellationToken);
        Primary.WriteVerification(id, new BackupVerification(_time.GetUtcNow(), primaryProblems.Count == 0, copyProblems.Count == 0, [.. primaryProblems, .. copyProblems]));
        LogTaken(_logger, id, manifest.Kind, manifest.Files.Count, manifest.TotalBytes, copyProblems.Count == 0);

        progress?.Report("prune");
        Prune();
        return manifest;
    }

    /// <summary>
    /// One policy: count, back up, count again. Equal counts prove the snapshot holds exactly them (points only
    /// arrive); a writer with old timestamps in between makes them differ, and the policy is backed up again
    /// (3 tries, then the later counts are kept and the manifest says the counts did not settle).
    /// </summary>
    private async Task<(IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>> Counts, bool Settled)> BackupPolicyAsync(
        string folder, string policy, DateTimeOffset? since, DateTimeOffset end, CancellationToken cancellationToken)
    {
        var target = Path.Combine(folder, "influx", policy);
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>> after = new Dictionary<string, IReadOnlyDictionary<string, long>>();
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            if (Directory.Exists(target))
            {
                Directory.Delete(target, recursive: true);
            }

            PrivateFile.CreateDirectory(target);
            var before = await InfluxCounts.CountAsync(_influx, Database, policy, end, cancellationToken);
            await _tool.BackupAsync(Database, policy, since, target, cancellationToken);
            after = await InfluxCounts.CountAsync(_influx, Database, policy, end, cancellationToken);
            var wrap = new Dictionary<string, IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>>> { [policy] = before };
            var wrapAfter = new Dictionary<string, IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>>> { [policy] = after };
            if (InfluxCounts.Compare(wrap, wrapAfter).Count == 0)
            {
                return (after, true);
            }
        }

        LogUnsettled(_logger, policy);
        return (after, false);
    }

    /// <summary>Copies the backup folder to the second site and checks every file there against the manifest.</summary>
    private async Task<IReadOnlyList<string>> CopyToSecondaryAsync(BackupManifest manifest, CancellationToken cancellationToken)
    {
        var source = Primary.FolderOf(manifest.Id);
        var partial = Secondary.FolderOf(manifest.Id) + ".partial";
        try
        {
            if (Directory.Exists(partial))
            {
                Directory.Delete(partial, recursive: true);
            }

            foreach (var file in manifest.Files)
            {
                var from = Path.Combine(source, file.Path);
                var to = Path.Combine(partial, file.Path);
                PrivateFile.CreateDirectory(Path.GetDirectoryName(to)!);
                await PrivateFile.CopyAsync(from, to, cancellationToken);
            }

            var problems = await BackupChecksums.CompareAsync(partial, manifest.Files, cancellationToken);
            if (problems.Count > 0)
            {
                return [.. problems.Select(p => "secondary: " + p)];
            }

            BackupCatalog.WriteJson(Path.Combine(partial, BackupManifest.FileName), manifest);
            if (Directory.Exists(Secondary.FolderOf(manifest.Id)))
            {
                Secondary.Delete(manifest.Id);
            }

            Directory.Move(partial, Secondary.FolderOf(manifest.Id));
            return [];
        }
        catch (IOException ex)
        {
            LogCopyFailed(_logger, manifest.Id, ex.Message);
            return [$"secondary: copy failed: {ex.Message}"];
        }
    }

    /// <summary>Checks both sites' files of a backup against its manifest and records the outcome.</summary>
    public async Task<BackupVerification> VerifyAsync(string id, CancellationToken cancellationToken)
    {
        var entry = Primary.TryRead(id) ?? Secondary.TryRead(id) ?? throw new BackupException(BackupFailure.NotFound, $"no backup {id}");
        var primary = await BackupChecksums.CompareAsync(Primary.FolderOf(id), entry.Manifest.Files, cancellationToken);
        var secondary = await BackupChecksums.CompareAsync(Secondary.FolderOf(id), entry.Manifest.Files, cancellationToken);
        var verification = new BackupVerification(
            _time.GetUtcNow(), primary.Count == 0, secondary.Count == 0, [.. primary.Select(p => "primary: " + p), .. secondary.Select(p => "secondary: " + p)]);
        if (Directory.Exists(Primary.FolderOf(id)))
        {
            Primary.WriteVerification(id, verification);
        }

        return verification;
    }

    /// <summary>Deletes, on both sites, what the retention policy does not keep; returns the deleted ids.</summary>
    public IReadOnlyList<string> Prune()
    {
        var deleted = new List<string>();
        foreach (var site in new[] { Primary, Secondary })
        {
            var manifests = site.List().Select(e => e.Manifest).ToList();
            var keep = BackupRetention.Keep(manifests, _time.GetUtcNow(), _options.KeepHourly, _options.KeepDaily);
            foreach (var manifest in manifests.Where(m => !keep.Contains(m.Id)))
            {
                site.Delete(manifest.Id);
                deleted.Add(manifest.Id);
            }
        }

        return [.. deleted.Distinct(StringComparer.Ordinal)];
    }

    /// <summary>Every backup from the full base up to <paramref name="id"/>, oldest first; throws when one is missing.</summary>
    public static IReadOnlyList<BackupManifest> ChainOf(BackupCatalog site, string id)
    {
        var chain = new List<BackupManifest>();
        var current = site.TryRead(id)?.Manifest ?? throw new BackupException(BackupFailure.NotFound, $"no backup {id} in {site.Root}");
        while (true)
        {
            chain.Add(current);
            if (current.Kind == BackupKind.Full)
            {
                break;
            }

            current = site.TryRead(current.PreviousId!)?.Manifest
                ?? throw new BackupException(BackupFailure.BrokenChain, $"backup {id} needs {current.PreviousId}, which is not in {site.Root}");
        }

        chain.Reverse();
        return chain;
    }

    private static bool ChainIsComplete(BackupCatalog site, BackupManifest manifest)
    {
        try
        {
            ChainOf(site, manifest.Id);
            return true;
        }
        catch (BackupException)
        {
            return false;
        }
    }

    private static DateTimeOffset Truncate(DateTimeOffset time) => new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

    [LoggerMessage(Level = LogLevel.Information, Message = "Backup {Id} ({Kind}) taken: {Files} files, {Bytes} bytes; secondary verified: {Copied}")]
    private static partial void LogTaken(ILogger logger, string id, BackupKind kind, int files, long bytes, bool copied);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Counts of policy {Policy} kept moving across 3 snapshots (writes with old timestamps); the manifest keeps the last counts")]
    private static partial void LogUnsettled(ILogger logger, string policy);

    [LoggerMessage(Level = LogLevel.Error, Message = "Backup {Id} failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string id, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Copy of backup {Id} to the secondary site failed: {Reason}")]
    private static partial void LogCopyFailed(ILogger logger, string id, string reason);
}
