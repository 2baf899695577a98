using Datacake.Streams.Access;
using Datacake.Streams.Api.Metadata;

namespace Datacake.Streams.Api.Access;

/// <summary>
/// At start-up, once this node's registry view has caught up with <c>dcs.registry</c>, publishes every entity of the
/// metadata store the view lacks or holds differently.
/// </summary>
/// <remarks>
/// Decision: the store is the source of truth and the log a derived copy. The embedded log can be wiped (or a new
/// Kafka cluster started) while <c>metadata.db</c> survives; a change can also be written to the store and then fail
/// to publish. Comparing against the caught-up view covers both, and publishes nothing on a normal restart, so the
/// registry topic does not grow with every start (republishing everything would). Webhooks the store no longer holds
/// are removed.
/// </remarks>
public sealed class RegistryReconciler(
    IMetadataStore store,
    RegistryFeed feed,
    RegistryMirror mirror,
    ILogger<RegistryReconciler> logger) : BackgroundService
{
    /// <summary>Completes when the first reconciliation has run (for tests and readiness).</summary>
    public Task<int> Completion => _completion.Task;

    private readonly TaskCompletionSource<int> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await feed.WaitUntilCaughtUpAsync(stoppingToken);
            var published = await ReconcileAsync(stoppingToken);
            logger.LogInformation("Registry reconciled with the metadata store: {Published} changes published", published);
            _completion.TrySetResult(published);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            _completion.TrySetCanceled(stoppingToken);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Registry reconciliation failed; it runs again at the next start");
            _completion.TrySetException(e);
        }
    }

    /// <summary>Publishes what the view lacks or holds differently; returns how many changes were published.</summary>
    public async Task<int> ReconcileAsync(CancellationToken cancellationToken)
    {
        var view = feed.View;
        var count = 0;
        var quotas = await store.ListWorkspaceQuotasAsync(cancellationToken);
        foreach (var workspace in await store.ListWorkspacesAsync(cancellationToken))
        {
            var quota = quotas.GetValueOrDefault(workspace.Id);
            if (!view.TryGetWorkspace(workspace.Id, out var entry) || entry!.ParentId != workspace.ParentId || entry.Quota != quota)
            {
                await mirror.PublishAsync(workspace, quota, cancellationToken);
                count++;
            }
        }

        var workspaceIds = (await store.ListWorkspacesAsync(cancellationToken)).Select(w => w.Id).ToArray();
        foreach (var device in await store.ListDevicesAsync(workspaceIds, includeDeleted: true, cancellationToken))
        {
            if (!view.TryGetDevice(device.Id, out var entry) || !Same(entry!, device.ToEntry()))
            {
                await mirror.PublishAsync(device, cancellationToken);
                count++;
            }
        }

        foreach (var token in await store.ListScopedTokensAsync(null, cancellationToken))
        {
            if (!view.TryGetToken(token.Id, out var grant) || !Same(grant!, token.ToGrant()))
            {
                await mirror.PublishAsync(token, cancellationToken);
                count++;
            }
        }

        var webhooks = await store.ListWebhooksAsync(null, cancellationToken);
        foreach (var webhook in webhooks)
        {
            if (!view.TryGetWebhook(webhook.Id, out var grant) || !Same(grant!, webhook))
            {
                await mirror.PublishAsync(webhook, cancellationToken);
                count++;
            }
        }

        var kept = webhooks.Select(w => w.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var stale in view.Webhooks.Where(w => !kept.Contains(w.WebhookId)))
        {
            await mirror.RemoveWebhookAsync(stale.WebhookId, cancellationToken);
            count++;
        }

        foreach (var decoder in await store.ListDecodersAsync(null, cancellationToken))
        {
            if (!view.TryGetDecoder(decoder.Id, out var entry) || entry!.Source != decoder.Source || entry.WorkspaceId != decoder.WorkspaceId)
            {
                await mirror.PublishAsync(decoder, cancellationToken);
                count++;
            }
        }

        return count;
    }

    private static bool Same(DeviceEntry a, DeviceEntry b) =>
        a.WorkspaceId == b.WorkspaceId && a.DeletedAt == b.DeletedAt && a.DevEui == b.DevEui && a.Serial == b.Serial
        && a.ParticleId == b.ParticleId && a.DecoderId == b.DecoderId;

    // Keys are compared by presence and deadline: the view holds them open, the store sealed, and a changed key always
    // comes with a changed token hash or deadline from the API.
    private static bool Same(WebhookGrant grant, WebhookRecord webhook) =>
        grant.TokenHash == webhook.TokenHash && grant.Devices.SetEquals(webhook.Devices) && grant.DisabledAt == webhook.DisabledAt
        && grant.Rotation == webhook.Rotation && grant.SigningSecret.HasValue == webhook.SealedSecret is not null
        && grant.SecretRotation?.ValidUntil == (webhook.PreviousSealedSecret is null ? null : webhook.PreviousSecretValidUntil);

    private static bool Same(TokenGrant a, TokenGrant b) =>
        a.Hash == b.Hash && a.WorkspaceId == b.WorkspaceId && a.Role == b.Role && a.Devices.SequenceEqual(b.Devices)
        && a.ExpiresAt == b.ExpiresAt && a.DisabledAt == b.DisabledAt && a.RevokedAt == b.RevokedAt && a.Rotation == b.Rotation;
}
