using System.Security.Cryptography;
using Datacake.Streams.Access;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Metadata;

namespace Datacake.Streams.Api.Webhooks;

public sealed record CreateWebhookRequest(string? Kind, IReadOnlyList<string>? Devices, bool? Signed);

/// <summary>The token and, for signed webhooks, the Standard Webhooks secret: shown once, here.</summary>
public sealed record CreatedWebhookResponse(string Id, string Kind, string Url, string Token, string? Secret, IReadOnlyList<string> Devices);

public sealed record WebhookResponse(string Id, string Kind, string Url, bool Signed, IReadOnlyList<string> Devices, DateTimeOffset CreatedAt);

/// <summary>Network-server and Particle webhooks of a workspace: create (token, optional signing secret), list, delete.</summary>
public static class WebhooksEndpoints
{
    /// <summary>Standard Webhooks secrets are "whsec_" + base64 of the key; 32 bytes matches HMAC-SHA256's block strength.</summary>
    public const string SecretPrefix = "whsec_";

    public static RouteGroupBuilder MapWebhooksApi(this RouteGroupBuilder v1)
    {
        v1.MapPost("/workspaces/{id}/webhooks", CreateAsync);
        v1.MapGet("/workspaces/{id}/webhooks", ListAsync);
        v1.MapDelete("/webhooks/{id}", DeleteAsync);
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
        string? secret = null;
        byte[]? sealedSecret = null;
        if (body.Signed == true)
        {
            var key = RandomNumberGenerator.GetBytes(32);
            secret = SecretPrefix + Convert.ToBase64String(key);
            sealedSecret = registry.Seal(webhookId, key);
            CryptographicOperations.ZeroMemory(key);
        }

        var webhook = new WebhookRecord(webhookId, reach.Workspace.Id, kind, token.Hash, [.. devices.Select(d => d.Device)], sealedSecret, time.GetUtcNow());
        await store.CreateWebhookAsync(webhook, cancellationToken);
        await registry.PublishAsync(webhook, cancellationToken);
        return TypedResults.Created(
            Url(webhook),
            new CreatedWebhookResponse(webhook.Id, KindName(kind), Url(webhook), token.Secret, secret, [.. webhook.Devices.Select(d => d.ToString())]));
    }

    private static async Task<IResult> ListAsync(string id, HttpContext http, IMetadataStore store, AccessGuard guard, CancellationToken cancellationToken)
    {
        var reach = await guard.WorkspaceAsync(http.Caller(), id, AccessRules.Administer, cancellationToken);
        var webhooks = await store.ListWebhooksAsync(reach.Workspace.Id, cancellationToken);
        return TypedResults.Ok(webhooks
            .Select(w => new WebhookResponse(w.Id, KindName(w.Kind), Url(w), w.SealedSecret is not null, [.. w.Devices.Select(d => d.ToString())], w.CreatedAt))
            .ToArray());
    }

    private static async Task<IResult> DeleteAsync(
        string id, HttpContext http, IMetadataStore store, AccessGuard guard, RegistryMirror registry, CancellationToken cancellationToken)
    {
        var caller = http.Caller();
        AccessGuard.RefuseOperator(caller);
        var webhook = await store.GetWebhookAsync(id, cancellationToken) ?? throw ApiProblem.NotFound("webhook");
        try
        {
            await guard.WorkspaceAsync(caller, webhook.WorkspaceId, AccessRules.Administer, cancellationToken);
        }
        catch (ApiProblem problem) when (problem.Status == StatusCodes.Status404NotFound)
        {
            throw ApiProblem.NotFound("webhook");
        }

        await store.DeleteWebhookAsync(webhook.Id, cancellationToken);
        await registry.RemoveWebhookAsync(webhook.Id, cancellationToken);
        return TypedResults.NoContent();
    }

    private static string Url(WebhookRecord webhook) => $"/v1/webhooks/{webhook.Id}";

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
