using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.UnitTests.Core.Access;

/// <summary>The token-scoped lookups by DevEUI and serial that the external broker bridge maps topics through.</summary>
public class RegistryViewWritableLookupTests
{
    private static readonly DateTimeOffset _start = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private static readonly DevEui _sharedEui = new(0x70B3D57ED0000001);

    private readonly FakeTimeProvider _time = new(_start);
    private readonly RegistryView _view;
    private readonly DeviceId _inA = DeviceId.New();
    private readonly DeviceId _inSub = DeviceId.New();
    private readonly DeviceId _inB = DeviceId.New();

    public RegistryViewWritableLookupTests()
    {
        _view = new RegistryView(_time);
        _view.Apply(new WorkspaceUpserted(new WorkspaceEntry("ws-a", null)));
        _view.Apply(new WorkspaceUpserted(new WorkspaceEntry("ws-a-sub", "ws-a")));
        _view.Apply(new WorkspaceUpserted(new WorkspaceEntry("ws-b", null)));

        // The same DevEUI and serial in two unrelated workspaces: the token decides which one is meant.
        _view.Apply(new DeviceUpserted(new DeviceEntry { Id = _inA, WorkspaceId = "ws-a", DevEui = _sharedEui, Serial = "SN-1" }));
        _view.Apply(new DeviceUpserted(new DeviceEntry { Id = _inSub, WorkspaceId = "ws-a-sub", Serial = "SN-SUB" }));
        _view.Apply(new DeviceUpserted(new DeviceEntry { Id = _inB, WorkspaceId = "ws-b", DevEui = _sharedEui, Serial = "SN-1" }));
    }

    [Fact]
    public void A_workspace_token_finds_the_device_of_its_own_tree_among_namesakes()
    {
        var editorA = Grant("ws-a", WorkspaceRole.Editor);
        var editorB = Grant("ws-b", WorkspaceRole.Editor);

        Assert.True(_view.FindWritableDeviceByDevEui(editorA, _sharedEui, _start, out var a));
        Assert.Equal(_inA, a!.Id);
        Assert.True(_view.FindWritableDeviceByDevEui(editorB, _sharedEui, _start, out var b));
        Assert.Equal(_inB, b!.Id);

        Assert.True(_view.FindWritableDeviceBySerial(editorA, "SN-1", _start, out var serialA));
        Assert.Equal(_inA, serialA!.Id);
        Assert.True(_view.FindWritableDeviceBySerial(editorA, "SN-SUB", _start, out var sub));
        Assert.Equal(_inSub, sub!.Id);
        Assert.False(_view.FindWritableDeviceBySerial(editorB, "SN-SUB", _start, out var none));
        Assert.Null(none);
    }

    [Fact]
    public void A_token_that_cannot_write_finds_nothing()
    {
        var viewer = Grant("ws-a", WorkspaceRole.Viewer);
        Assert.False(_view.FindWritableDeviceByDevEui(viewer, _sharedEui, _start, out _));

        var reader = Grant(null, WorkspaceRole.None, new DeviceGrant(_inA, DeviceAccess.Read));
        Assert.False(_view.FindWritableDeviceBySerial(reader, "SN-1", _start, out _));

        var writer = Grant(null, WorkspaceRole.None, new DeviceGrant(_inA, DeviceAccess.ReadWrite));
        Assert.True(_view.FindWritableDeviceBySerial(writer, "SN-1", _start, out var found));
        Assert.Equal(_inA, found!.Id);
        Assert.False(_view.FindWritableDeviceBySerial(writer, "SN-UNKNOWN", _start, out _));
    }

    [Fact]
    public void A_deleted_device_is_not_found_after_its_deletion()
    {
        var editor = Grant("ws-a", WorkspaceRole.Editor);
        _view.Apply(new DeviceUpserted(new DeviceEntry
        {
            Id = _inA, WorkspaceId = "ws-a", DevEui = _sharedEui, Serial = "SN-1", DeletedAt = _start.AddMinutes(1),
        }));

        Assert.True(_view.FindWritableDeviceByDevEui(editor, _sharedEui, _start, out _));
        Assert.False(_view.FindWritableDeviceByDevEui(editor, _sharedEui, _start.AddMinutes(1), out _));
    }

    [Fact]
    public void Two_writable_devices_with_one_serial_are_ambiguous_and_map_to_none()
    {
        var twin = DeviceId.New();
        _view.Apply(new DeviceUpserted(new DeviceEntry { Id = twin, WorkspaceId = "ws-a-sub", Serial = "SN-1" }));
        var editor = Grant("ws-a", WorkspaceRole.Editor);

        Assert.False(_view.FindWritableDeviceBySerial(editor, "SN-1", _start, out var device));
        Assert.Null(device);

        // A token for the sub-workspace alone reaches only the twin: no ambiguity there.
        Assert.True(_view.FindWritableDeviceBySerial(Grant("ws-a-sub", WorkspaceRole.Editor), "SN-1", _start, out var inSub));
        Assert.Equal(twin, inSub!.Id);
    }

    private static TokenGrant Grant(string? workspace, WorkspaceRole role, params DeviceGrant[] devices) =>
        new() { TokenId = Guid.NewGuid().ToString("N"), Hash = AccessToken.New().Hash, WorkspaceId = workspace, Role = role, Devices = [.. devices] };
}
