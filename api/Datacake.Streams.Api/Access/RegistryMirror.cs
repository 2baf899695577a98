using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.Api.Metadata;
using Datacake.Streams.RecordLog;

namespace Datacake.Streams.Api.Access;

/// <summary>
/// Publishes what the ingest and processing nodes need of a metadata change onto <c>dcs.registry</c>. Callers write
/// the store first and publish after: should publishing fail, the store still holds the change and
/// <see cref="RegistryReconciler"/> publishes it at the next start. User tokens are not published: their roles come
/// from memberships, which only the API reads.
/// </summary>
public sealed class RegistryMirror(RegistryPublisher publisher, RegistrySecretSealer sealer)
{
    /// <summary>The workspace with the operator's ingest quota it has in the store (null = none): a workspace value always carries both.</summary>
    public ValueTask<LogPosition> PublishAsync(WorkspaceRecord workspace, IngestQuota? quota, CancellationToken cancellationToken) =>
        publisher.PublishAsync(new WorkspaceUpserted(new WorkspaceEntry(workspace.Id, workspace.ParentId, quota)), cancellationToken);

    public ValueTask<LogPosition> PublishAsync(DeviceRecord device, CancellationToken cancellationToken) =>
        publisher.PublishAsync(new DeviceUpserted(device.ToEntry()), cancellationToken);

    public ValueTask<LogPosition> PublishAsync(TokenRecord token, CancellationToken cancellationToken) =>
        token.Kind == TokenKind.Scoped
            ? publisher.PublishAsync(new TokenUpserted(token.ToGrant()), cancellationToken)
            : ValueTask.FromResult(default(LogPosition));

    public ValueTask<LogPosition> PublishAsync(WebhookRecord webhook, CancellationToken cancellationToken) =>
        publisher.PublishAsync(new WebhookUpserted(ToGrant(webhook)), cancellationToken);

    public ValueTask<LogPosition> RemoveWebhookAsync(string webhookId, CancellationToken cancellationToken) =>
        publisher.PublishAsync(new WebhookRemoved(webhookId), cancellationToken);

    public ValueTask<LogPosition> PublishAsync(DecoderRecord decoder, CancellationToken cancellationToken) =>
        publisher.PublishAsync(new DecoderUpserted(new DecoderEntry(decoder.Id, decoder.WorkspaceId, decoder.Source)), cancellationToken);

    /// <summary>Seals a webhook's signing key for the store, bound to the webhook's registry key like on the log.</summary>
    public byte[] Seal(string webhookId, ReadOnlySpan<byte> signingKey) => sealer.Seal(signingKey, AssociatedData(webhookId));

    public WebhookGrant ToGrant(WebhookRecord webhook)
    {
        ArgumentNullException.ThrowIfNull(webhook);
        ReadOnlyMemory<byte>? secret = webhook.SealedSecret is { } sealedSecret ? Unseal(webhook.Id, sealedSecret) : null;
        SigningSecretRotation? secretRotation = webhook is { PreviousSealedSecret: { } previous, PreviousSecretValidUntil: { } until }
            ? new SigningSecretRotation(Unseal(webhook.Id, previous), until)
            : null;

        return new WebhookGrant
        {
            WebhookId = webhook.Id,
            WorkspaceId = webhook.WorkspaceId,
            Kind = webhook.Kind,
            TokenHash = webhook.TokenHash,
            Devices = webhook.Devices.ToHashSet(),
            SigningSecret = secret,
            DisabledAt = webhook.DisabledAt,
            Rotation = webhook.Rotation,
            SecretRotation = secretRotation,
        };
    }

    private byte[] Unseal(string webhookId, byte[] sealedSecret) =>
        sealer.TryUnseal(sealedSecret, AssociatedData(webhookId), out var key)
            ? key
            : throw new InvalidOperationException("a webhook's signing key does not open with this node's registry key (Secrets:RegistryKey changed?)");

    private static byte[] AssociatedData(string webhookId) => Encoding.UTF8.GetBytes(RegistryKeys.Webhook + webhookId);
}
