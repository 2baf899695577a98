using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.UnitTests.Core.Access;

public class RegistryViewTests
{
    private static readonly DateTimeOffset _start = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(_start);
    private readonly RegistryView _view;
    private readonly DeviceId _deviceA = DeviceId.New();
    private readonly DeviceId _deviceB = DeviceId.New();
    private readonly DeviceId _deviceInSub = DeviceId.New();
    private readonly DeviceId _deviceElsewhere = DeviceId.New();

    public RegistryViewTests()
    {
        _view = new RegistryView(_time);
        _view.Apply(new WorkspaceUpserted(new WorkspaceEntry("ws-a", null)));
        _view.Apply(new WorkspaceUpserted(new WorkspaceEntry("ws-a-sub", "ws-a")));
        _view.Apply(new WorkspaceUpserted(new WorkspaceEntry("ws-a-sub-sub", "ws-a-sub")));
        _view.Apply(new WorkspaceUpserted(new WorkspaceEntry("ws-b", null)));
        _view.Apply(new DeviceUpserted(new DeviceEntry { Id = _deviceA, WorkspaceId = "ws-a", DevEui = new DevEui(0x70B3D57ED0000001) }));
        _view.Apply(new DeviceUpserted(new DeviceEntry { Id = _deviceB, WorkspaceId = "ws-a", Serial = "SN-2", ParticleId = "e00fce68" }));
        _view.Apply(new DeviceUpserted(new DeviceEntry { Id = _deviceInSub, WorkspaceId = "ws-a-sub-sub" }));
        _view.Apply(new DeviceUpserted(new DeviceEntry { Id = _deviceElsewhere, WorkspaceId = "ws-b", DevEui = new DevEui(0x70B3D57ED0000001) }));
    }

    private (AccessToken Token, TokenGrant Grant) Issue(string id, string? workspace = null, WorkspaceRole role = WorkspaceRole.None, params DeviceGrant[] devices)
    {
        var token = AccessToken.New();
        var grant = new TokenGrant { TokenId = id, Hash = token.Hash, WorkspaceId = workspace, Role = role, Devices = [.. devices] };
        _view.Apply(new TokenUpserted(grant));
        return (token, grant);
    }

    private TokenGrant Authenticated(AccessToken token)
    {
        Assert.Equal(AuthenticationResult.Ok, _view.Authenticate(token.Secret, _time.GetUtcNow(), out var grant));
        return grant!;
    }

    [Fact]
    public void A_known_token_authenticates_and_a_typo_or_stranger_does_not()
    {
        var (token, _) = Issue("t1", "ws-a", WorkspaceRole.Viewer);
        Assert.Equal("t1", Authenticated(token).TokenId);

        var typo = token.Secret[..^1] + (token.Secret[^1] == 'a' ? 'b' : 'a');
        Assert.Equal(AuthenticationResult.Malformed, _view.Authenticate(typo, _time.GetUtcNow(), out var none));
        Assert.Null(none);
        Assert.Equal(AuthenticationResult.Unknown, _view.Authenticate(AccessToken.New().Secret, _time.GetUtcNow(), out _));
        Assert.Equal(AuthenticationResult.Malformed, _view.Authenticate("Bearer nonsense", _time.GetUtcNow(), out _));
    }

    [Fact]
    public void A_read_token_cannot_write()
    {
        var (token, _) = Issue("reader", devices: new DeviceGrant(_deviceA, DeviceAccess.Read));
        var grant = Authenticated(token);
        Assert.True(_view.CanRead(grant, _deviceA));
        Assert.False(_view.CanWrite(grant, _deviceA));

        var (viewerToken, _) = Issue("viewer", "ws-a", WorkspaceRole.Viewer);
        var viewer = Authenticated(viewerToken);
        Assert.True(_view.CanRead(viewer, _deviceA));
        Assert.False(_view.CanWrite(viewer, _deviceA));
    }

    [Fact]
    public void A_device_token_reaches_only_its_devices()
    {
        var (token, _) = Issue("device", "ws-a", devices: new DeviceGrant(_deviceA, DeviceAccess.ReadWrite));
        var grant = Authenticated(token);
        Assert.True(_view.CanWrite(grant, _deviceA));
        Assert.False(_view.CanWrite(grant, _deviceB));
        Assert.False(_view.CanRead(grant, _deviceB));
        Assert.False(_view.CanWrite(grant, _deviceElsewhere));
        Assert.Equal(WorkspaceRole.None, _view.RoleIn(grant, "ws-a"));
    }

    [Fact]
    public void A_listed_device_outside_the_tokens_workspace_tree_is_refused()
    {
        var (token, _) = Issue("smuggler", "ws-a", devices: new DeviceGrant(_deviceElsewhere, DeviceAccess.ReadWrite));
        var grant = Authenticated(token);
        Assert.False(_view.CanWrite(grant, _deviceElsewhere));
        Assert.False(_view.CanRead(grant, _deviceElsewhere));
    }

    [Fact]
    public void A_workspace_role_reaches_sub_workspaces_and_not_siblings_or_parents()
    {
        var (token, _) = Issue("editor", "ws-a", WorkspaceRole.Editor);
        var editor = Authenticated(token);
        Assert.True(_view.CanWrite(editor, _deviceA));
        Assert.True(_view.CanWrite(editor, _deviceInSub));
        Assert.False(_view.CanWrite(editor, _deviceElsewhere));
        Assert.False(_view.CanRead(editor, _deviceElsewhere));
        Assert.Equal(WorkspaceRole.Editor, _view.RoleIn(editor, "ws-a-sub-sub"));
        Assert.Equal(WorkspaceRole.None, _view.RoleIn(editor, "ws-b"));

        var (subToken, _) = Issue("sub-admin", "ws-a-sub", WorkspaceRole.Admin);
        var subAdmin = Authenticated(subToken);
        Assert.True(_view.CanWrite(subAdmin, _deviceInSub));
        Assert.False(_view.CanRead(subAdmin, _deviceA));
        Assert.Equal(WorkspaceRole.None, _view.RoleIn(subAdmin, "ws-a"));
        Assert.True(_view.IsWithin("ws-a-sub-sub", "ws-a"));
        Assert.False(_view.IsWithin("ws-a", "ws-a-sub"));
    }

    [Fact]
    public void Removing_a_workspace_from_the_tree_cuts_the_inherited_role()
    {
        var (token, _) = Issue("owner", "ws-a", WorkspaceRole.Owner);
        var owner = Authenticated(token);
        Assert.True(_view.CanWrite(owner, _deviceInSub));
        _view.Apply(new WorkspaceRemoved("ws-a-sub"));
        Assert.False(_view.CanWrite(owner, _deviceInSub));
        Assert.True(_view.CanWrite(owner, _deviceA));
    }

    [Fact]
    public void A_parent_cycle_in_bad_data_does_not_hang_the_ancestry_check()
    {
        _view.Apply(new WorkspaceUpserted(new WorkspaceEntry("loop-1", "loop-2")));
        _view.Apply(new WorkspaceUpserted(new WorkspaceEntry("loop-2", "loop-1")));
        Assert.False(_view.IsWithin("loop-1", "ws-a"));
        Assert.True(_view.IsWithin("loop-1", "loop-2"));
    }

    [Fact]
    public void An_operator_token_without_workspace_or_devices_reads_nothing()
    {
        var (token, _) = Issue("operator");
        var operatorGrant = Authenticated(token);
        Assert.False(_view.CanRead(operatorGrant, _deviceA));
        Assert.False(_view.CanRead(operatorGrant, _deviceElsewhere));
        Assert.Equal(WorkspaceRole.None, _view.RoleIn(operatorGrant, "ws-a"));
    }

    [Fact]
    public void A_token_expires_at_its_deadline()
    {
        var token = AccessToken.New();
        _view.Apply(new TokenUpserted(new TokenGrant
        {
            TokenId = "short-lived", Hash = token.Hash, WorkspaceId = "ws-a", Role = WorkspaceRole.Editor, ExpiresAt = _start.AddHours(1),
        }));
        Assert.Equal(AuthenticationResult.Ok, _view.Authenticate(token.Secret, _time.GetUtcNow(), out _));
        _time.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(AuthenticationResult.Ok, _view.Authenticate(token.Secret, _time.GetUtcNow(), out _));
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(AuthenticationResult.Expired, _view.Authenticate(token.Secret, _time.GetUtcNow(), out var grant));
        Assert.Null(grant);
    }

    [Fact]
    public void After_rotation_the_old_secret_works_until_the_grace_deadline_then_not()
    {
        var (oldToken, original) = Issue("rotating", "ws-a", WorkspaceRole.Editor);
        var newToken = AccessToken.New();
        _view.Apply(new TokenUpserted(new TokenGrant
        {
            TokenId = "rotating", Hash = newToken.Hash, WorkspaceId = original.WorkspaceId, Role = original.Role,
            Rotation = new TokenRotation(oldToken.Hash, _start.AddMinutes(10)),
        }));

        Assert.Equal(AuthenticationResult.Ok, _view.Authenticate(newToken.Secret, _time.GetUtcNow(), out _));
        Assert.Equal(AuthenticationResult.Ok, _view.Authenticate(oldToken.Secret, _time.GetUtcNow(), out var viaOld));
        Assert.Equal("rotating", viaOld!.TokenId);

        _time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(AuthenticationResult.Expired, _view.Authenticate(oldToken.Secret, _time.GetUtcNow(), out _));
        Assert.Equal(AuthenticationResult.Ok, _view.Authenticate(newToken.Secret, _time.GetUtcNow(), out _));

        // Rotating again forgets the first secret entirely.
        var newest = AccessToken.New();
        _view.Apply(new TokenUpserted(new TokenGrant
        {
            TokenId = "rotating", Hash = newest.Hash, WorkspaceId = "ws-a", Role = WorkspaceRole.Editor,
            Rotation = new TokenRotation(newToken.Hash, _start.AddMinutes(20)),
        }));
        Assert.Equal(AuthenticationResult.Unknown, _view.Authenticate(oldToken.Secret, _time.GetUtcNow(), out _));
        Assert.Equal(AuthenticationResult.Ok, _view.Authenticate(newToken.Secret, _time.GetUtcNow(), out _));
    }

    [Fact]
    public void Rotation_with_no_grace_refuses_the_old_secret_at_once()
    {
        var (oldToken, _) = Issue("rotating", "ws-a", WorkspaceRole.Editor);
        var newToken = AccessToken.New();
        _view.Apply(new TokenUpserted(new TokenGrant
        {
            TokenId = "rotating", Hash = newToken.Hash, WorkspaceId = "ws-a", Role = WorkspaceRole.Editor,
            Rotation = new TokenRotation(oldToken.Hash, _start),
        }));
        Assert.Equal(AuthenticationResult.Expired, _view.Authenticate(oldToken.Secret, _time.GetUtcNow(), out _));
        Assert.Equal(AuthenticationResult.Ok, _view.Authenticate(newToken.Secret, _time.GetUtcNow(), out _));
    }

    [Fact]
    public void A_record_received_before_revocation_is_still_valid_and_one_after_is_not()
    {
        var (token, grant) = Issue("revoked-later", "ws-a", WorkspaceRole.Editor);
        var revokedAt = _start.AddMinutes(5);
        _view.Apply(new TokenUpserted(Copy(grant, revokedAt: revokedAt)));
        _time.Advance(TimeSpan.FromMinutes(30));

        Assert.Equal(AuthenticationResult.Revoked, _view.Authenticate(token.Secret, _time.GetUtcNow(), out _));
        Assert.Equal(AuthenticationResult.Ok, _view.AuthorizeWrite(token.Hash, _deviceA, revokedAt.AddTicks(-1)));
        Assert.Equal(AuthenticationResult.Revoked, _view.AuthorizeWrite(token.Hash, _deviceA, revokedAt));
        Assert.Equal(AuthenticationResult.Revoked, _view.AuthorizeWrite(token.Hash, _deviceA, revokedAt.AddSeconds(1)));
        Assert.Equal(AuthenticationResult.Forbidden, _view.AuthorizeWrite(token.Hash, _deviceElsewhere, revokedAt.AddTicks(-1)));
    }

    [Fact]
    public void A_disabled_token_is_refused_from_the_disable_time_and_works_again_when_enabled()
    {
        var (token, grant) = Issue("paused", "ws-a", WorkspaceRole.Editor);
        _view.Apply(new TokenUpserted(Copy(grant, disabledAt: _start)));
        Assert.Equal(AuthenticationResult.Disabled, _view.Authenticate(token.Secret, _time.GetUtcNow(), out _));
        Assert.Equal(AuthenticationResult.Ok, _view.AuthenticateFingerprint(token.Hash, _start.AddSeconds(-1), out _));
        Assert.Equal(AuthenticationResult.Disabled, _view.AuthorizeWrite(token.Hash, _deviceA, _start));

        _view.Apply(new TokenUpserted(Copy(grant)));
        Assert.Equal(AuthenticationResult.Ok, _view.Authenticate(token.Secret, _time.GetUtcNow(), out _));
    }

    [Fact]
    public void A_grant_asked_about_a_hash_it_does_not_hold_answers_unknown_whatever_its_state()
    {
        var grant = new TokenGrant { TokenId = "t", Hash = AccessToken.New().Hash, RevokedAt = _start, DisabledAt = _start, ExpiresAt = _start };
        Assert.Equal(AuthenticationResult.Unknown, grant.StatusAt(AccessToken.New().Hash, _start.AddDays(1)));
        Assert.Equal(AuthenticationResult.Revoked, grant.StatusAt(grant.Hash, _start.AddDays(1)));
    }

    [Fact]
    public void A_removed_token_is_unknown_everywhere()
    {
        var (token, _) = Issue("gone", "ws-a", WorkspaceRole.Owner);
        _view.Apply(new TokenRemoved("gone"));
        Assert.Equal(AuthenticationResult.Unknown, _view.Authenticate(token.Secret, _time.GetUtcNow(), out _));
        Assert.Equal(AuthenticationResult.Unknown, _view.AuthorizeWrite(token.Hash, _deviceA, _start));
        Assert.Equal(0, _view.TokenCount);
    }

    [Fact]
    public void A_deleted_device_is_neither_written_nor_read_from_its_deletion_on()
    {
        var (token, _) = Issue("owner", "ws-a", WorkspaceRole.Owner);
        var owner = Authenticated(token);
        _view.Apply(new DeviceUpserted(new DeviceEntry { Id = _deviceA, WorkspaceId = "ws-a", DeletedAt = _start.AddMinutes(1) }));
        Assert.True(_view.CanWrite(owner, _deviceA));
        Assert.True(_view.CanWrite(owner, _deviceA, _start.AddSeconds(59)));
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.False(_view.CanWrite(owner, _deviceA));
        Assert.False(_view.CanRead(owner, _deviceA));
        Assert.False(_view.CanWrite(owner, DeviceId.New()));
    }

    [Fact]
    public void A_webhook_token_writes_only_to_its_bound_devices()
    {
        var webhookToken = AccessToken.New();
        _view.Apply(new WebhookUpserted(new WebhookGrant
        {
            WebhookId = "wh-1", WorkspaceId = "ws-a", Kind = WebhookKind.Tts, TokenHash = webhookToken.Hash, Devices = new HashSet<DeviceId> { _deviceA, _deviceElsewhere },
        }));

        Assert.Equal(AuthenticationResult.Ok, _view.AuthenticateWebhook("wh-1", webhookToken.Secret, _start, out var webhook));
        Assert.True(_view.CanWrite(webhook!, _deviceA, _start));
        Assert.False(_view.CanWrite(webhook!, _deviceB, _start));

        // Bound by mistake to another workspace's device: still refused.
        Assert.False(_view.CanWrite(webhook!, _deviceElsewhere, _start));
        Assert.Equal(AuthenticationResult.Ok, _view.AuthorizeWrite(webhookToken.Hash, _deviceA, _start));
        Assert.Equal(AuthenticationResult.Forbidden, _view.AuthorizeWrite(webhookToken.Hash, _deviceB, _start));

        Assert.Equal(AuthenticationResult.Unknown, _view.AuthenticateWebhook("wh-2", webhookToken.Secret, _start, out _));
        Assert.Equal(AuthenticationResult.Unknown, _view.AuthenticateWebhook("wh-1", AccessToken.New().Secret, _start, out _));
        Assert.Equal(AuthenticationResult.Malformed, _view.AuthenticateWebhook("wh-1", "dcs_short", _start, out _));

        // A device token is not a webhook token.
        var (deviceToken, _) = Issue("device", "ws-a", devices: new DeviceGrant(_deviceA, DeviceAccess.ReadWrite));
        Assert.Equal(AuthenticationResult.Unknown, _view.AuthenticateWebhook("wh-1", deviceToken.Secret, _start, out _));
    }

    [Fact]
    public void A_disabled_webhook_is_refused_from_then_on()
    {
        var webhookToken = AccessToken.New();
        _view.Apply(new WebhookUpserted(new WebhookGrant
        {
            WebhookId = "wh-1", WorkspaceId = "ws-a", Kind = WebhookKind.Helium, TokenHash = webhookToken.Hash,
            Devices = new HashSet<DeviceId> { _deviceA }, DisabledAt = _start.AddMinutes(1),
        }));
        Assert.Equal(AuthenticationResult.Ok, _view.AuthenticateWebhook("wh-1", webhookToken.Secret, _start, out _));
        Assert.Equal(AuthenticationResult.Disabled, _view.AuthenticateWebhook("wh-1", webhookToken.Secret, _start.AddMinutes(1), out _));
        Assert.Equal(AuthenticationResult.Ok, _view.AuthorizeWrite(webhookToken.Hash, _deviceA, _start));
        Assert.Equal(AuthenticationResult.Disabled, _view.AuthorizeWrite(webhookToken.Hash, _deviceA, _start.AddMinutes(2)));
    }

    [Fact]
    public void Webhooks_find_their_devices_by_dev_eui_serial_and_particle_id()
    {
        _view.Apply(new WebhookUpserted(new WebhookGrant
        {
            WebhookId = "wh-a", WorkspaceId = "ws-a", Kind = WebhookKind.ChirpStack, TokenHash = AccessToken.New().Hash, Devices = new HashSet<DeviceId> { _deviceA, _deviceB },
        }));
        _view.Apply(new WebhookUpserted(new WebhookGrant
        {
            WebhookId = "wh-b", WorkspaceId = "ws-b", Kind = WebhookKind.Tts, TokenHash = AccessToken.New().Hash, Devices = new HashSet<DeviceId> { _deviceElsewhere },
        }));

        // The same DevEUI in two workspaces: each webhook finds its own device.
        Assert.True(_view.FindDeviceByDevEui("wh-a", "70b3d57ed0000001", out var forA));
        Assert.Equal(_deviceA, forA!.Id);
        Assert.True(_view.FindDeviceByDevEui("wh-b", "70-B3-D5-7E-D0-00-00-01", out var forB));
        Assert.Equal(_deviceElsewhere, forB!.Id);
        Assert.False(_view.FindDeviceByDevEui("wh-a", "70b3d57ed0000002", out _));
        Assert.False(_view.FindDeviceByDevEui("wh-a", "not hex", out _));
        Assert.False(_view.FindDeviceByDevEui("wh-unknown", "70b3d57ed0000001", out _));

        Assert.True(_view.FindDeviceBySerial("wh-a", "SN-2", out var bySerial));
        Assert.Equal(_deviceB, bySerial!.Id);
        Assert.True(_view.FindDeviceByParticleId("wh-a", "e00fce68", out var byParticle));
        Assert.Equal(_deviceB, byParticle!.Id);
        Assert.False(_view.FindDeviceBySerial("wh-b", "SN-2", out _));

        // A DevEUI changed on the device moves the index with it.
        _view.Apply(new DeviceUpserted(new DeviceEntry { Id = _deviceA, WorkspaceId = "ws-a", DevEui = new DevEui(0xAA) }));
        Assert.False(_view.FindDeviceByDevEui("wh-a", new DevEui(0x70B3D57ED0000001), out _));
        Assert.True(_view.FindDeviceByDevEui("wh-a", new DevEui(0xAA), out _));
        _view.Apply(new DeviceRemoved(_deviceA));
        Assert.False(_view.FindDeviceByDevEui("wh-a", new DevEui(0xAA), out _));
        Assert.False(_view.TryGetDevice(_deviceA, out _));
    }

    [Fact]
    public void Large_device_lists_are_searched_correctly()
    {
        var devices = Enumerable.Range(0, 100).Select(_ => DeviceId.New()).ToList();
        var grants = devices.Select((d, i) => new DeviceGrant(d, i % 2 == 0 ? DeviceAccess.Read : DeviceAccess.ReadWrite)).ToArray();
        var grant = new TokenGrant { TokenId = "many", Hash = AccessToken.New().Hash, Devices = [.. grants, new DeviceGrant(devices[0], DeviceAccess.ReadWrite)] };
        Assert.Equal(100, grant.Devices.Length);
        Assert.Equal(DeviceAccess.ReadWrite, grant.AccessTo(devices[0]));
        for (var i = 1; i < devices.Count; i++)
        {
            Assert.Equal(i % 2 == 0 ? DeviceAccess.Read : DeviceAccess.ReadWrite, grant.AccessTo(devices[i]));
        }

        Assert.Equal(DeviceAccess.None, grant.AccessTo(DeviceId.New()));
    }

    private static TokenGrant Copy(TokenGrant grant, DateTimeOffset? disabledAt = null, DateTimeOffset? revokedAt = null) => new()
    {
        TokenId = grant.TokenId,
        Hash = grant.Hash,
        WorkspaceId = grant.WorkspaceId,
        Role = grant.Role,
        Devices = grant.Devices,
        ExpiresAt = grant.ExpiresAt,
        Rotation = grant.Rotation,
        DisabledAt = disabledAt,
        RevokedAt = revokedAt,
    };
}
