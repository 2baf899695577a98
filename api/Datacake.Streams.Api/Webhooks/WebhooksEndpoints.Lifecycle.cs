using Datacake.Streams.Access;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Metadata;

namespace Datacake.Streams.Api.Webhooks;

/// <summary>What to rotate (both default to what the webhook has: its token, and its signing secret when it signs) and how long the old ones keep working.</summary>
public sealed record RotateWebhookRequest(bool? Token, bool? Secret, int? OverlapSeconds);

/// <summary>The new credentials, shown once; the replaced ones work until <c>OverlapEndsAt</c>.</summary>
public sealed record RotatedWebhookResponse(string Id, string? Token, string? Secret, DateTimeOffset OverlapEndsAt);

public sealed record UpdateWebhookRequest(IReadOnlyList<string>? Devices);

// The lifecycle of a webhook after its creation: rotate its credentials, pause and resume it, change its devices.
public static partial class WebhooksEndpoints
{
    /// <summary>
    /// A replaced token or key works at most this long: a network server's integration is changed by hand in its
    /// console, and a week covers a change window that waits for the next working day or a release.
    /// </summary>
    public const int MaxOverlapSeconds = 7 * 86_400;

    /// <summary>Without an overlap in the body, one hour: enough to paste the new values into the sender's console.</summary>
    public const int DefaultOverlapSeconds = 3_600;

    private static async Task<IResult> RotateAsync(
        string id, HttpContext http, IMetadataStore store, AccessGuard guard, RegistryMirror registry, TimeProvider time, CancellationToken cancellationToken)
    {
        var (webhook, _) = await ManagedAsync(http.Caller(), id, store, guard, cancellationToken);
        var body = http.Request.ContentLength is > 0 || http.Request.Headers.TransferEncoding.Count > 0
            ? await JsonBody.ReadAsync<RotateWebhookRequest>(http, cancellationToken)
            : new RotateWebhookRequest(null, null, null);
        var signs = webhook.SealedSecret is not null;
        var (rotateToken, rotateSecret) = body.Token is null && body.Secret is null ? (true, signs) : (body.Token == true, body.Secret == true);
        if (!rotateToken && !rotateSecret)
        {
            throw ApiProblem.Invalid("Say what to rotate: token, secret or both.");
        }

        if (rotateSecret && !signs)
        {
            throw ApiProblem.Invalid("This webhook does not sign its messages: it has no secret to rotate.");
        }

        var overlap = body.OverlapSeconds ?? DefaultOverlapSeconds;
        if (overlap is < 0 or > MaxOverlapSeconds)
        {
            throw ApiProblem.Invalid($"overlapSeconds must be between 0 and {MaxOverlapSeconds}.");
        }

        var overlapEndsAt = time.GetUtcNow().AddSeconds(overlap);
        string? token = null;
        string? secret = null;
        var rotated = webhook;
        if (rotateToken)
        {
            var fresh = AccessToken.New();
            token = fresh.Secret;
            rotated = rotated with { TokenHash = fresh.Hash, Rotation = new TokenRotation(webhook.TokenHash, overlapEndsAt) };
        }

        if (rotateSecret)
        {
            (secret, var sealedSecret) = NewSigningSecret(registry, webhook.Id);
            rotated = rotated with { SealedSecret = sealedSecret, PreviousSealedSecret = webhook.SealedSecret, PreviousSecretValidUntil = overlapEndsAt };
        }

        await SaveAsync(store, registry, rotated, cancellationToken);
        return TypedResults.Ok(new RotatedWebhookResponse(webhook.Id, token, secret, overlapEndsAt));
    }

    private static async Task<IResult> PauseAsync(
        string id, HttpContext http, IMetadataStore store, AccessGuard guard, RegistryMirror registry, TimeProvider time, CancellationToken cancellationToken)
    {
        var (webhook, _) = await ManagedAsync(http.Caller(), id, store, guard, cancellationToken);
        var now = time.GetUtcNow();
        if (webhook.DisabledAt is null)
        {
            webhook = webhook with { DisabledAt = now };
            await SaveAsync(store, registry, webhook, cancellationToken);
        }

        return TypedResults.Ok(ToResponse(http.Request, webhook, now));
    }

    private static async Task<IResult> ResumeAsync(
        string id, HttpContext http, IMetadataStore store, AccessGuard guard, RegistryMirror registry, TimeProvider time, CancellationToken cancellationToken)
    {
        var (webhook, _) = await ManagedAsync(http.Caller(), id, store, guard, cancellationToken);
        if (webhook.DisabledAt is not null)
        {
            webhook = webhook with { DisabledAt = null };
            await SaveAsync(store, registry, webhook, cancellationToken);
        }

        return TypedResults.Ok(ToResponse(http.Request, webhook, time.GetUtcNow()));
    }

    /// <summary>
    /// Replaces the bound devices. Each must be a live device of the webhook's workspace or one below it that the
    /// caller may hand write access to (<see cref="GrantableDevices"/>); one that is not refuses the whole change.
    /// </summary>
    private static async Task<IResult> UpdateAsync(
        string id,
        HttpContext http,
        IMetadataStore store,
        AccessGuard guard,
        GrantableDevices grantable,
        RegistryMirror registry,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var caller = http.Caller();
        var (webhook, reach) = await ManagedAsync(caller, id, store, guard, cancellationToken);
        var body = await JsonBody.ReadAsync<UpdateWebhookRequest>(http, cancellationToken);
        if (body.Devices is not { } requested)
        {
            throw ApiProblem.Invalid("devices is required: the complete list of devices the webhook may write.");
        }

        var devices = await grantable.CheckAsync(caller, reach, requested.Select(d => ((string?)d, DeviceAccess.ReadWrite)), cancellationToken);
        webhook = webhook with { Devices = [.. devices.Select(d => d.Device).Distinct()] };
        await SaveAsync(store, registry, webhook, cancellationToken);
        return TypedResults.Ok(ToResponse(http.Request, webhook, time.GetUtcNow()));
    }

    /// <summary>Store first, then the registry (the reconciler republishes what a failed publish left behind).</summary>
    private static async Task SaveAsync(IMetadataStore store, RegistryMirror registry, WebhookRecord webhook, CancellationToken cancellationToken)
    {
        if (!await store.UpdateWebhookAsync(webhook, cancellationToken))
        {
            throw ApiProblem.NotFound("webhook");
        }

        await registry.PublishAsync(webhook, cancellationToken);
    }
}
