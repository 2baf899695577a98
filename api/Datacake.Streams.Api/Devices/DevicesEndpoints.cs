using Datacake.Streams.Access;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Metadata;
using Datacake.Streams.Api.Workspaces;
using Datacake.Streams.Ids;
using Datacake.Streams.Problems;

namespace Datacake.Streams.Api.Devices;

public sealed record CreateDeviceRequest(string? Name, string? DevEui, string? Serial, string? ParticleId);

public sealed record UpdateDeviceRequest(string? Name, string? Decoder);

public sealed record DeviceResponse(
    string Id, string WorkspaceId, string Name, string? DevEui, string? Serial, string? ParticleId, string? Decoder, DateTimeOffset? DeletedAt);

/// <summary>Devices: create and list in a workspace, get, rename, set the decoder, delete with confirmation, restore.</summary>
public static class DevicesEndpoints
{
    /// <summary>The built-in decoders a device may name besides a workspace's JavaScript decoders.</summary>
    public static readonly IReadOnlySet<string> BuiltInDecoders = new HashSet<string>(StringComparer.Ordinal) { "cayennelpp", "json" };

    private const int MaxIdentityLength = 64;

    public static RouteGroupBuilder MapDevicesApi(this RouteGroupBuilder v1)
    {
        v1.MapPost("/workspaces/{id}/devices", CreateAsync);
        v1.MapGet("/workspaces/{id}/devices", ListAsync);
        v1.MapGet("/devices/{id}", GetAsync);
        v1.MapPatch("/devices/{id}", UpdateAsync);
        v1.MapDelete("/devices/{id}", DeleteAsync);
        v1.MapPost("/devices/{id}/restore", RestoreAsync);
        return v1;
    }

    public static DeviceResponse ToResponse(DeviceRecord d) =>
        new(d.Id.ToString(), d.WorkspaceId, d.Name, d.DevEui?.ToString(), d.Serial, d.ParticleId, d.Decoder, d.DeletedAt);

    private static async Task<IResult> CreateAsync(
        string id, HttpContext http, IMetadataStore store, AccessGuard guard, RegistryMirror registry, TimeProvider time, CancellationToken cancellationToken)
    {
        var reach = await guard.WorkspaceAsync(http.Caller(), id, AccessRules.ManageDevices, cancellationToken);
        var body = await JsonBody.ReadAsync<CreateDeviceRequest>(http, cancellationToken);
        DevEui? devEui = null;
        if (!string.IsNullOrWhiteSpace(body.DevEui))
        {
            devEui = Datacake.Streams.Access.DevEui.TryParse(body.DevEui, out var parsed) ? parsed : throw ApiProblem.Invalid("devEui must be 16 hex digits.");
        }

        var device = new DeviceRecord(
            DeviceId.New(),
            reach.Workspace.Id,
            WorkspacesEndpoints.ValidName(body.Name),
            devEui,
            Identity(body.Serial, "serial"),
            Identity(body.ParticleId, "particleId"),
            null,
            time.GetUtcNow(),
            null);
        await RefuseTakenIdentitiesAsync(store, reach.Ancestry[^1], device, cancellationToken);
        await store.CreateDeviceAsync(device, cancellationToken);
        await registry.PublishAsync(device, cancellationToken);
        return TypedResults.Created($"/v1/devices/{device.Id}", ToResponse(device));
    }

    private static async Task<IResult> ListAsync(string id, HttpContext http, IMetadataStore store, AccessGuard guard, CancellationToken cancellationToken)
    {
        var reach = await guard.WorkspaceAsync(http.Caller(), id, AccessRules.Read, cancellationToken);
        var devices = await store.ListDevicesAsync([reach.Workspace.Id], includeDeleted: false, cancellationToken);
        return TypedResults.Ok(devices.Select(ToResponse).ToArray());
    }

    private static async Task<IResult> GetAsync(string id, HttpContext http, AccessGuard guard, CancellationToken cancellationToken)
    {
        var reach = await guard.DeviceAsync(http.Caller(), id, includeDeleted: false, cancellationToken);
        return TypedResults.Ok(ToResponse(reach.Device));
    }

    private static async Task<IResult> UpdateAsync(
        string id, HttpContext http, IMetadataStore store, AccessGuard guard, RegistryMirror registry, CancellationToken cancellationToken)
    {
        var reach = await guard.DeviceAsync(http.Caller(), id, includeDeleted: false, cancellationToken);
        AccessGuard.RequireRole(reach.Role, AccessRules.ManageDevices);
        var body = await JsonBody.ReadAsync<UpdateDeviceRequest>(http, cancellationToken);
        var device = reach.Device;
        if (body.Name is not null)
        {
            device = device with { Name = WorkspacesEndpoints.ValidName(body.Name) };
        }

        if (body.Decoder is not null)
        {
            device = device with { Decoder = await DecoderAsync(store, body.Decoder, reach.Ancestry, cancellationToken) };
        }

        await store.UpdateDeviceAsync(device, cancellationToken);
        await registry.PublishAsync(device, cancellationToken);
        return TypedResults.Ok(ToResponse(device));
    }

    private static async Task<IResult> DeleteAsync(
        string id, HttpContext http, AccessGuard guard, DeviceDeletion deletion, CancellationToken cancellationToken)
    {
        var confirm = await DeletionConfirmationCode.ReadAsync(http, cancellationToken);
        var reach = await guard.DeviceAsync(http.Caller(), id, includeDeleted: false, cancellationToken);
        AccessGuard.RequireRole(reach.Role, AccessRules.ManageDevices);
        await deletion.DeleteAsync(reach.Device, confirm, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> RestoreAsync(
        string id, HttpContext http, IMetadataStore store, AccessGuard guard, DeviceDeletion deletion, CancellationToken cancellationToken)
    {
        var reach = await guard.DeviceAsync(http.Caller(), id, includeDeleted: true, cancellationToken);
        AccessGuard.RequireRole(reach.Role, AccessRules.ManageDevices);
        await RefuseTakenIdentitiesAsync(store, reach.Ancestry[^1], reach.Device, cancellationToken);
        return TypedResults.Ok(ToResponse(await deletion.RestoreAsync(reach.Device, cancellationToken)));
    }

    /// <summary>"" clears the decoder; a built-in name or a decoder of the device's workspace or an ancestor sets it.</summary>
    private static async Task<string?> DecoderAsync(IMetadataStore store, string requested, IReadOnlyList<string> ancestry, CancellationToken cancellationToken)
    {
        if (requested.Length == 0)
        {
            return null;
        }

        if (BuiltInDecoders.Contains(requested))
        {
            return requested;
        }

        var decoder = await store.GetDecoderAsync(requested, cancellationToken);
        return decoder is not null && ancestry.Contains(decoder.WorkspaceId, StringComparer.Ordinal)
            ? decoder.Id
            : throw ApiProblem.Invalid("decoder must be \"cayennelpp\", \"json\", \"\" or the id of a decoder of this workspace or a parent.");
    }

    /// <summary>
    /// A DevEUI, serial or Particle id names one device within a workspace tree (webhooks of the tree route by them);
    /// deleted devices keep theirs until purged, so that restoring them cannot clash.
    /// </summary>
    private static async Task RefuseTakenIdentitiesAsync(IMetadataStore store, string rootId, DeviceRecord device, CancellationToken cancellationToken)
    {
        if (device.DevEui is null && device.Serial is null && device.ParticleId is null)
        {
            return;
        }

        var tree = (await store.ListSubtreesAsync([rootId], cancellationToken)).Select(w => w.Id).ToArray();
        foreach (var other in await store.ListDevicesAsync(tree, includeDeleted: true, cancellationToken))
        {
            if (other.Id == device.Id)
            {
                continue;
            }

            var clash = (device.DevEui is not null && other.DevEui == device.DevEui) ? "devEui"
                : (device.Serial is not null && other.Serial == device.Serial) ? "serial"
                : (device.ParticleId is not null && other.ParticleId == device.ParticleId) ? "particleId"
                : null;
            if (clash is not null)
            {
                throw ApiProblem.Conflict(ProblemTypes.DeviceIdentityTaken, "Identity already in use", $"Another device of this workspace tree has this {clash}.");
            }
        }
    }

    private static string? Identity(string? value, string field)
    {
        var trimmed = value?.Trim();
        return string.IsNullOrEmpty(trimmed) ? null
            : trimmed.Length > MaxIdentityLength ? throw ApiProblem.Invalid($"{field} is at most {MaxIdentityLength} characters.")
            : trimmed;
    }
}
