using System.Collections.Frozen;
using Datacake.Streams.Ids;

namespace Datacake.Streams.Access;

/// <summary>
/// A webhook's credentials and scope: its token (hash only) writes to its bound devices and nowhere else.
/// </summary>
public sealed class WebhookGrant : ITokenHashKeyed
{
    private readonly FrozenSet<DeviceId> _devices = FrozenSet<DeviceId>.Empty;
    private readonly long _disabledAt;

    public required string WebhookId { get; init; }

    public required string WorkspaceId { get; init; }

    public required WebhookKind Kind { get; init; }

    /// <summary>SHA-256 of the webhook's token (header <c>X-Webhook-Token</c>).</summary>
    public required TokenHash TokenHash { get; init; }

    public IReadOnlySet<DeviceId> Devices
    {
        get => _devices;
        init => _devices = value.ToFrozenSet();
    }

    /// <summary>
    /// The raw Standard Webhooks signing key (the bytes behind <c>whsec_…</c>), or null when the sender cannot sign.
    /// </summary>
    /// <remarks>
    /// Unlike a token this cannot be kept as a hash: verifying an HMAC signature needs the key itself, so every ingest
    /// node holds it in memory. It must be protected wherever it rests or travels: encrypted at rest in the metadata
    /// store, sealed with the registry key (<see cref="RegistrySecretSealer"/>) inside <c>dcs.registry</c>, and never
    /// logged, exported in metrics or returned by the API after creation.
    /// </remarks>
    public ReadOnlyMemory<byte>? SigningSecret { get; init; }

    /// <summary>When the webhook was paused; its token is refused for requests received from then on.</summary>
    public DateTimeOffset? DisabledAt
    {
        get => RegistryTime.FromTicks(_disabledAt);
        init => _disabledAt = RegistryTime.ToTicks(value);
    }

    /// <summary>The token a rotation replaced and its overlap deadline (the rule of scoped tokens).</summary>
    public TokenRotation? Rotation { get; init; }

    /// <summary>The signing key a rotation replaced and its overlap deadline; held like <see cref="SigningSecret"/>.</summary>
    public SigningSecretRotation? SecretRotation { get; init; }

    public bool IsDisabledAt(DateTimeOffset at) => RegistryTime.ReachedBy(_disabledAt, at);

    public bool IsBound(DeviceId device) => _devices.Contains(device);

    /// <summary>
    /// Whether the token hashing to <paramref name="presented"/> opened this webhook at <paramref name="at"/>, scope
    /// aside: the current token, or the rotated-out one before its overlap deadline; neither while paused.
    /// </summary>
    public AuthenticationResult StatusAt(TokenHash presented, DateTimeOffset at)
    {
        var current = presented == TokenHash;
        if (!current && (Rotation is not { } rotation || presented != rotation.PreviousHash))
        {
            return AuthenticationResult.Unknown;
        }

        // A replaced token past its overlap learns nothing more, not even that the webhook is paused.
        if (!current && at >= Rotation!.ValidUntil)
        {
            return AuthenticationResult.Expired;
        }

        return IsDisabledAt(at) ? AuthenticationResult.Disabled : AuthenticationResult.Ok;
    }

    /// <summary>The rotated-out signing key while its overlap lasts at <paramref name="at"/>, else null.</summary>
    public ReadOnlyMemory<byte>? PreviousSigningSecretAt(DateTimeOffset at) =>
        SecretRotation is { } rotation && rotation.IsValidAt(at) && !rotation.PreviousSecret.IsEmpty ? rotation.PreviousSecret : null;

    bool ITokenHashKeyed.IsKeyedBy(TokenHash hash) => hash == TokenHash || (Rotation is { } rotation && rotation.PreviousHash == hash);
}
