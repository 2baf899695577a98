using Datacake.Streams.Ids;

namespace Datacake.Streams.Access;

/// <summary>
/// One change to the registry, as published on <c>dcs.registry</c>: keyed by the entity it changes, the latest value
/// of a key wins, and a removal is a tombstone (empty value). Carries token hashes only, never a token.
/// </summary>
public abstract record RegistryChange
{
    private protected RegistryChange()
    {
    }

    /// <summary>The log key: <c>token:&lt;id&gt;</c>, <c>webhook:&lt;id&gt;</c>, <c>device:&lt;id&gt;</c> or <c>workspace:&lt;id&gt;</c>.</summary>
    public abstract string Key { get; }

    public bool IsRemoval => this is TokenRemoved or WebhookRemoved or DeviceRemoved or WorkspaceRemoved or DecoderRemoved;

    internal static string TokenKey(string id) => RegistryKeys.Token + id;

    internal static string WebhookKey(string id) => RegistryKeys.Webhook + id;

    internal static string DeviceKey(DeviceId id) => RegistryKeys.Device + id.ToString();

    internal static string WorkspaceKey(string id) => RegistryKeys.Workspace + id;

    internal static string DecoderKey(string id) => RegistryKeys.Decoder + id;
}

public sealed record TokenUpserted(TokenGrant Grant) : RegistryChange
{
    public override string Key => TokenKey(Grant.TokenId);
}

public sealed record TokenRemoved(string TokenId) : RegistryChange
{
    public override string Key => TokenKey(TokenId);
}

public sealed record WebhookUpserted(WebhookGrant Webhook) : RegistryChange
{
    public override string Key => WebhookKey(Webhook.WebhookId);
}

public sealed record WebhookRemoved(string WebhookId) : RegistryChange
{
    public override string Key => WebhookKey(WebhookId);
}

public sealed record DeviceUpserted(DeviceEntry Device) : RegistryChange
{
    public override string Key => DeviceKey(Device.Id);
}

public sealed record DeviceRemoved(DeviceId DeviceId) : RegistryChange
{
    public override string Key => DeviceKey(DeviceId);
}

public sealed record WorkspaceUpserted(WorkspaceEntry Workspace) : RegistryChange
{
    public override string Key => WorkspaceKey(Workspace.Id);
}

public sealed record WorkspaceRemoved(string WorkspaceId) : RegistryChange
{
    public override string Key => WorkspaceKey(WorkspaceId);
}

/// <summary>The key prefixes of <c>dcs.registry</c>, fixed: other nodes and tools read them.</summary>
public sealed record DecoderUpserted(DecoderEntry Decoder) : RegistryChange
{
    public override string Key => DecoderKey(Decoder.Id);
}

public sealed record DecoderRemoved(string DecoderId) : RegistryChange
{
    public override string Key => DecoderKey(DecoderId);
}

public static class RegistryKeys
{
    public const string Token = "token:";
    public const string Webhook = "webhook:";
    public const string Device = "device:";
    public const string Workspace = "workspace:";
    public const string Decoder = "decoder:";

    /// <summary>Tombstones a feed appends at start to find the end of each partition; not entities.</summary>
    public const string Barrier = "barrier:";
}
