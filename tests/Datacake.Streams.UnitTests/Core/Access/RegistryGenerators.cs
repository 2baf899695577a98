using System.Collections.Immutable;
using CsCheck;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.TestSupport;

namespace Datacake.Streams.UnitTests.Core.Access;

/// <summary>CsCheck generators of registry entities and changes.</summary>
internal static class RegistryGenerators
{
    public static readonly Gen<DeviceId> DeviceIds = Gen.Select(Gen.ULong, Gen.ULong, (high, low) => new DeviceId(high, low));

    public static readonly Gen<AccessToken> Tokens = Gen.Byte.Array[AccessToken.RandomByteLength].Select(bytes => AccessToken.FromRandomBytes(bytes));

    public static readonly Gen<TokenHash> Hashes = Tokens.Select(t => t.Hash);

    public static readonly Gen<string> Ids = Gen.String[Gen.Char.AlphaNumeric, 1, 24];

    // 2000-01-01 .. 2100-01-01, whole ticks.
    public static readonly Gen<DateTimeOffset> Times = Gen.Long[630822816000000000, 663379200000000000].Select(ticks => new DateTimeOffset(ticks, TimeSpan.Zero));

    public static readonly Gen<DateTimeOffset?> OptionalTimes = Optional(Times);

    /// <summary>No quota half the time (most workspaces), else an operator's: whole and fractional rates and bursts.</summary>
    public static readonly Gen<IngestQuota?> Quotas =
        Gen.Frequency((1, Gen.Const((IngestQuota?)null)), (1, Gen.Select(Gen.Double[0.001, 1e6], Gen.Double[1, 1e7], (rate, burst) => (IngestQuota?)new IngestQuota(rate, burst))));

    public static Gen<T?> Optional<T>(Gen<T> gen)
        where T : struct =>
        Gen.Bool.SelectMany(present => present ? gen.Select(v => (T?)v) : Gen.Const((T?)null));

    public static Gen<string?> OptionalText(Gen<string> gen) =>
        Gen.Bool.SelectMany(present => present ? gen.Select(v => (string?)v) : Gen.Const((string?)null));

    public static Gen<TokenGrant> Grants(Gen<string> ids, Gen<DeviceId> devices, Gen<string> workspaces) =>
        from id in ids
        from hash in Hashes
        from workspace in OptionalText(workspaces)
        from role in Gen.Enum<WorkspaceRole>()
        from deviceGrants in Gen.Select(devices, Gen.Enum<DeviceAccess>(), (d, a) => new DeviceGrant(d, a)).Array[0, 6]
        from expires in OptionalTimes
        from disabled in OptionalTimes
        from revoked in OptionalTimes
        from rotation in Gen.Bool.SelectMany(r => r ? Gen.Select(Hashes, Times, (h, t) => new TokenRotation(h, t)) : Gen.Const((TokenRotation)null!))
        select new TokenGrant
        {
            TokenId = id,
            Hash = hash,
            WorkspaceId = workspace,
            Role = role,
            Devices = [.. deviceGrants],
            ExpiresAt = expires,
            DisabledAt = disabled,
            RevokedAt = revoked,
            Rotation = rotation,
        };

    public static Gen<DeviceEntry> DeviceEntries(Gen<DeviceId> devices, Gen<string> workspaces) =>
        from id in devices
        from workspace in workspaces
        from deleted in OptionalTimes
        from eui in Optional(Gen.ULong[0, 3].Select(v => new DevEui(v)))
        from serial in OptionalText(Gen.OneOf("SN-1", "SN-2"))
        from particle in OptionalText(Gen.OneOf("e00f", "e010"))
        from decoder in OptionalText(Gen.OneOf("cayennelpp", "json", "dec_1"))
        select new DeviceEntry { Id = id, WorkspaceId = workspace, DeletedAt = deleted, DevEui = eui, Serial = serial, ParticleId = particle, DecoderId = decoder };

    public static Gen<WebhookGrant> Webhooks(Gen<string> ids, Gen<DeviceId> devices, Gen<string> workspaces) =>
        from id in ids
        from workspace in workspaces
        from kind in Gen.Enum<WebhookKind>()
        from hash in Hashes
        from bound in devices.Array[0, 4]
        from disabled in OptionalTimes
        from rotation in Gen.Bool.SelectMany(r => r ? Gen.Select(Hashes, Times, (h, t) => new TokenRotation(h, t)) : Gen.Const((TokenRotation)null!))
        select new WebhookGrant
        {
            WebhookId = id, WorkspaceId = workspace, Kind = kind, TokenHash = hash, Devices = bound.ToHashSet(), DisabledAt = disabled, Rotation = rotation,
        };

    public static Gen<WorkspaceEntry> WorkspaceEntries(Gen<string> ids) =>
        Gen.Select(ids, OptionalText(ids), Quotas, (id, parent, quota) => new WorkspaceEntry(id, parent == id ? null : parent, quota));


    /// <summary>Any change, over the given universe of ids (a small universe makes keys collide, as in a real log).</summary>
    public static Gen<RegistryChange> Changes(Gen<string> tokenIds, Gen<DeviceId> devices, Gen<string> webhookIds, Gen<string> workspaces) =>
        Gen.OneOf<RegistryChange>(
            Grants(tokenIds, devices, workspaces).Select(g => (RegistryChange)new TokenUpserted(g)),
            tokenIds.Select(id => (RegistryChange)new TokenRemoved(id)),
            DeviceEntries(devices, workspaces).Select(d => (RegistryChange)new DeviceUpserted(d)),
            devices.Select(id => (RegistryChange)new DeviceRemoved(id)),
            Webhooks(webhookIds, devices, workspaces).Select(w => (RegistryChange)new WebhookUpserted(w)),
            webhookIds.Select(id => (RegistryChange)new WebhookRemoved(id)),
            WorkspaceEntries(workspaces).Select(w => (RegistryChange)new WorkspaceUpserted(w)),
            workspaces.Select(id => (RegistryChange)new WorkspaceRemoved(id)),
            Gen.Select(webhookIds, workspaces, Gen.String, (id, workspace, source) => (RegistryChange)new DecoderUpserted(new DecoderEntry(id, workspace, source))),
            webhookIds.Select(id => (RegistryChange)new DecoderRemoved(id)));

    /// <summary>Any change over unconstrained ids.</summary>
    public static readonly Gen<RegistryChange> AnyChange = Changes(Ids, DeviceIds, Ids, Ids);

    /// <summary>The registry as a comparable text: every entity encoded, sorted by key.</summary>
    public static string[] Snapshot(RegistryView view)
    {
        var codec = TestRegistry.Codec();
        IEnumerable<RegistryChange> entities =
        [
            .. view.Tokens.Select(t => new TokenUpserted(t)),
            .. view.Devices.Select(d => new DeviceUpserted(d)),
            .. view.Webhooks.Select(w => new WebhookUpserted(w)),
            .. view.Workspaces.Select(w => new WorkspaceUpserted(w)),
            .. view.Decoders.Select(d => new DecoderUpserted(d)),
        ];
        return [.. entities.Select(e => e.Key + "=" + System.Text.Encoding.UTF8.GetString(codec.EncodePayload(e))).Order(StringComparer.Ordinal)];
    }
}
