using Datacake.Streams.Ids;

namespace Datacake.Streams.Access;

// Who may do what: tokens, webhooks, and the workspace tree their roles reach down.
public sealed partial class RegistryView
{
    /// <summary>
    /// Whether the token whose SHA-256 is <paramref name="fingerprint"/> was valid at <paramref name="at"/>: what an
    /// adapter asks of a presented credential once its format passed (<c>EdgeAuth.PresentedCredential</c>), and a
    /// processor of a raw record's credential fingerprint and receive time.
    /// </summary>
    public AuthenticationResult AuthenticateFingerprint(TokenHash fingerprint, DateTimeOffset at, out TokenGrant? grant)
    {
        grant = null;
        if (!_tokensByHash.TryGetValue(fingerprint, out var found))
        {
            return AuthenticationResult.Unknown;
        }

        var status = found.StatusAt(fingerprint, at);
        if (status == AuthenticationResult.Ok)
        {
            grant = found;
        }

        return status;
    }

    /// <summary>Checks the token presented to webhook <paramref name="webhookId"/> (header <c>X-Webhook-Token</c>).</summary>
    public AuthenticationResult AuthenticateWebhook(string webhookId, ReadOnlySpan<char> presentedToken, DateTimeOffset at, out WebhookGrant? webhook)
    {
        webhook = null;
        if (!AccessToken.TryValidateFormat(presentedToken))
        {
            return AuthenticationResult.Malformed;
        }

        // Comparing SHA-256 digests, not secrets: timing tells an attacker nothing about the token itself.
        if (!_webhooksById.TryGetValue(webhookId, out var found))
        {
            return AuthenticationResult.Unknown;
        }

        var status = found.StatusAt(TokenHash.Of(presentedToken), at);
        if (status == AuthenticationResult.Ok)
        {
            webhook = found;
        }

        return status;
    }

    /// <summary>
    /// The processor's check of a raw record: was the credential with <paramref name="fingerprint"/> (a token or a
    /// webhook's token) valid when the record was received, and did it cover writing to <paramref name="device"/>?
    /// </summary>
    public AuthenticationResult AuthorizeWrite(TokenHash fingerprint, DeviceId device, DateTimeOffset receivedAt)
    {
        if (_tokensByHash.TryGetValue(fingerprint, out var grant))
        {
            var status = grant.StatusAt(fingerprint, receivedAt);
            return status != AuthenticationResult.Ok ? status
                : CanWrite(grant, device, receivedAt) ? AuthenticationResult.Ok : AuthenticationResult.Forbidden;
        }

        if (_webhooksByHash.TryGetValue(fingerprint, out var webhook))
        {
            var status = webhook.StatusAt(fingerprint, receivedAt);
            return status != AuthenticationResult.Ok ? status
                : CanWrite(webhook, device, receivedAt) ? AuthenticationResult.Ok : AuthenticationResult.Forbidden;
        }

        return AuthenticationResult.Unknown;
    }

    public bool CanWrite(TokenGrant grant, DeviceId device) => CanWrite(grant, device, _timeProvider.GetUtcNow());

    /// <summary>
    /// True when <paramref name="grant"/> may write data of <paramref name="device"/>: an editor (or higher) role in the
    /// device's workspace or an ancestor of it, or the device listed read-write. The device must be known and not
    /// deleted at <paramref name="at"/>; a listed device outside the token's workspace tree is refused as well.
    /// </summary>
    public bool CanWrite(TokenGrant grant, DeviceId device, DateTimeOffset at) => Reaches(grant, device, at, WorkspaceRole.Editor, DeviceAccess.ReadWrite);

    public bool CanRead(TokenGrant grant, DeviceId device) => CanRead(grant, device, _timeProvider.GetUtcNow());

    /// <summary>As <see cref="CanWrite(TokenGrant, DeviceId, DateTimeOffset)"/>, for reading: any role, or the device listed.</summary>
    public bool CanRead(TokenGrant grant, DeviceId device, DateTimeOffset at) => Reaches(grant, device, at, WorkspaceRole.Viewer, DeviceAccess.Read);

    /// <summary>A webhook writes only to its bound, live devices of its own workspace tree.</summary>
    public bool CanWrite(WebhookGrant webhook, DeviceId device, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(webhook);
        return webhook.IsBound(device) && _devices.TryGetValue(device, out var entry) && !entry.IsDeletedAt(at)
            && IsWithin(entry.WorkspaceId, webhook.WorkspaceId);
    }

    /// <summary>The role <paramref name="grant"/> holds in <paramref name="workspaceId"/>, inherited from an ancestor; None if it holds none.</summary>
    public WorkspaceRole RoleIn(TokenGrant grant, string workspaceId)
    {
        ArgumentNullException.ThrowIfNull(grant);
        return grant.WorkspaceId is { } home && grant.Role != WorkspaceRole.None && IsWithin(workspaceId, home) ? grant.Role : WorkspaceRole.None;
    }

    /// <summary>True when <paramref name="workspaceId"/> is <paramref name="ancestorId"/> or lies below it in the tree.</summary>
    public bool IsWithin(string workspaceId, string ancestorId)
    {
        ArgumentNullException.ThrowIfNull(workspaceId);
        ArgumentNullException.ThrowIfNull(ancestorId);
        var current = workspaceId;
        for (var depth = 0; depth <= MaxWorkspaceDepth; depth++)
        {
            if (string.Equals(current, ancestorId, StringComparison.Ordinal))
            {
                return true;
            }

            if (!_workspaces.TryGetValue(current, out var workspace) || workspace.ParentId is not { } parent)
            {
                return false;
            }

            current = parent;
        }

        return false;
    }

    private bool Reaches(TokenGrant grant, DeviceId device, DateTimeOffset at, WorkspaceRole minimumRole, DeviceAccess minimumAccess)
    {
        ArgumentNullException.ThrowIfNull(grant);
        if (!_devices.TryGetValue(device, out var entry) || entry.IsDeletedAt(at))
        {
            return false;
        }

        var inTree = grant.WorkspaceId is not { } home || IsWithin(entry.WorkspaceId, home);
        if (grant.WorkspaceId is not null && inTree && grant.Role >= minimumRole)
        {
            return true;
        }

        return inTree && grant.AccessTo(device) >= minimumAccess;
    }
}
