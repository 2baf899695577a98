using System.Security.Cryptography;
using Datacake.Streams.Access;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Metadata;
using Microsoft.AspNetCore.Http.Extensions;

namespace Datacake.Streams.Api.Webhooks;

public sealed record CreateWebhookRequest(string? Kind, IReadOnlyList<string>? Devices, bool? Signed);

/// <summary>The token and, for signed webhooks, the Standard Webhooks secret: shown once, here. <c>Url</c> is absolute.</summary>
public sealed record CreatedWebhookResponse(string Id, string Kind, string Url, string Token, string? Secret, IReadOnlyList<string> Devices);

public sealed record WebhookResponse(
    string Id,
    string Kind,
    string Url,
    bool Signed,
    IReadOnlyList<string> Devices,
    DateTimeOffset CreatedAt,
    DateTimeOffset? PausedAt,
    DateTimeOffset? PreviousTokenValidUntil,
    DateTimeOffset? PreviousSecretValidUntil);

/// <summary>Network-server and Particle webhooks of a workspace: create (token, optional signing secret), list, delete; lifecycle in the other part.</summary>
public static partial class WebhooksEndpoints
{
    /// <summary>Standard Webhooks secrets are "whsec_" + base64 of the key; 32 bytes matches HMAC-SHA256's block strength.</summary>
    public const string SecretPrefix = "whsec_";

    public static RouteGroupBuilder MapWebhooksApi(this RouteGroupBuilder v1)
    {
        v1.MapPost("/workspaces/{id}/webhooks", CreateAsync);
        v1.MapGet("/workspaces/{id}/webhooks", ListAsync);
        v1.MapDelete("/webhooks/{id}", DeleteAsync);
        v1.MapPatch("/webhooks/{id}", UpdateAsync);
        v1.MapPost("/webhooks/{id}/rotate", RotateAsync);
        v1.MapPost("/webhooks/{id}/pause", PauseAsync);
        v1.MapPost("/webhooks/{id}/resume", ResumeAsync);
        return v1;
    }

    private static async Task<IResult> CreateAsync(
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
        var reach = await guard.WorkspaceAsync(caller, id, AccessRules.Administer, cancellationToken);
        var body = await JsonBody.ReadAsync<CreateWebhookRequest>(http, cancellationToken);
        var kind = ParseKind(body.Kind);
        var devices = await grantable.CheckAsync(caller, reach, (body.Devices ?? []).Select(d => ((string?)d, DeviceAccess.ReadWrite)), cancellationToken);

        var webhookId = OpaqueId.New("whk_");
        var token = AccessToken.New();
        var (secret, sealedSecret) = body.Signed == true ? NewSigningSecret(registry, webhookId) : (null, null);

        var webhook = new WebhookRecord(webhookId, reach.Workspace.Id, kind, token.Hash, [.. devices.Select(d => d.Device)], sealedSecret, time.GetUtcNow());
        await store.CreateWebhookAsync(webhook, cancellationToken);
        await registry.PublishAsync(webhook, cancellationToken);
        var url = Url(http.Request, webhook);
        return TypedResults.Created(url, new CreatedWebhookResponse(webhook.Id, KindName(kind), url, token.Secret, secret, [.. webhook.Devices.Select(d => d.ToString())]));
    }

    /// <summary>A new signing key: the <c>whsec_</c> text for the answer, and the key sealed for the store.</summary>
    private static (string Secret, byte[] Sealed) NewSigningSecret(RegistryMirror registry, string webhookId)
    {
        var key = RandomNumberGenerator.GetBytes(32);
        try
        {
            return (SecretPrefix + Convert.ToBase64String(key), registry.Seal(webhookId, key));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    private static async Task<IResult> ListAsync(
        string id, HttpContext http, IMetadataStore store, AccessGuard guard, TimeProvider time, CancellationToken cancellationToken)
    {
        var reach = await guard.WorkspaceAsync(http.Caller(), id, AccessRules.Administer, cancellationToken);
        var webhooks = await store.ListWebhooksAsync(reach.Workspace.Id, cancellationToken);
        return TypedResults.Ok(webhooks.Select(w => ToResponse(http.Request, w, time.GetUtcNow())).ToArray());
    }

    private static async Task<IResult> DeleteAsync(
        string id, HttpContext http, IMetadataStore store, AccessGuard guard, RegistryMirror registry, CancellationToken cancellationToken)
    {
        var (webhook, _) = await ManagedAsync(http.Caller(), id, store, guard, cancellationToken);
        await store.DeleteWebhookAsync(webhook.Id, cancellationToken);
        await registry.RemoveWebhookAsync(webhook.Id, cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// A webhook of a workspace the caller administers, with that reach; 404 for any other, as if it did not exist
    /// (a second tenant learns nothing about ids it does not own).
    /// </summary>
    private static async Task<(WebhookRecord Webhook, WorkspaceInReach Reach)> ManagedAsync(
        Caller caller, string id, IMetadataStore store, AccessGuard guard, CancellationToken cancellationToken)
    {
        AccessGuard.RefuseOperator(caller);
        var webhook = await store.GetWebhookAsync(id, cancellationToken) ?? throw ApiProblem.NotFound("webhook");
        try
        {
            return (webhook, await guard.WorkspaceAsync(caller, webhook.WorkspaceId, AccessRules.Administer, cancellationToken));
        }
        catch (ApiProblem problem) when (problem.Status == StatusCodes.Status404NotFound)
        {
            throw ApiProblem.NotFound("webhook");
        }
    }

    /// <summary>
    /// The absolute ingest URL a network server is given: scheme and host of this request, which the forwarded-headers
    /// middleware has already set to the proxy's public ones when the request came through a configured proxy.
    /// </summary>
    private static string Url(HttpRequest request, WebhookRecord webhook) =>
        UriHelper.BuildAbsolute(request.Scheme, request.Host, request.PathBase, $"/v1/webhooks/{webhook.Id}");

    private static WebhookResponse ToResponse(HttpRequest request, WebhookRecord w, DateTimeOffset now) => new(
        w.Id,
        KindName(w.Kind),
        Url(request, w),
        w.SealedSecret is not null,
        [.. w.Devices.Select(d => d.ToString())],
        w.CreatedAt,
        w.DisabledAt,
        w.Rotation is { } rotation && rotation.ValidUntil > now ? rotation.ValidUntil : null,
        w.PreviousSealedSecret is not null && w.PreviousSecretValidUntil > now ? w.PreviousSecretValidUntil : null);

    private static WebhookKind ParseKind(string? kind) => kind?.ToLowerInvariant() switch
    {
        "tts" => WebhookKind.Tts,
        "chirpstack" => WebhookKind.ChirpStack,
        "helium" => WebhookKind.Helium,
        "particle" => WebhookKind.Particle,
        _ => throw ApiProblem.Invalid("kind must be one of tts, chirpstack, helium, particle."),
    };

    private static string KindName(WebhookKind kind) => kind.ToString().ToLowerInvariant();
}
