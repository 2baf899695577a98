using Datacake.Streams.Ids;

namespace Datacake.Streams.Api.Access;

/// <summary>
/// The seam between the query endpoints (series, last values, Grafana) and identity: which devices the bearer token
/// of a request may read, with the names the metadata store holds (names never go to InfluxDB). Deleted devices are
/// not in any scope: their data stays hidden until restored or purged.
/// </summary>
public interface IDeviceReadAccess
{
    /// <summary>Resolves the request's <c>Authorization: Bearer</c> token into what it may read.</summary>
    ValueTask<DeviceReadScope> ResolveAsync(HttpContext context, CancellationToken cancellationToken);

    /// <summary>
    /// The same answer as <see cref="ResolveAsync"/>, narrowed to one device: a scope holding that device when the
    /// token may read it, else none. Endpoints of one device use it so that their cost does not grow with the size of
    /// the caller's workspaces (listing 1,000 devices per request was most of a one-device query's time).
    /// </summary>
    async ValueTask<DeviceReadScope> ResolveDeviceAsync(HttpContext context, string deviceId, CancellationToken cancellationToken)
    {
        DeviceReadScope scope = await ResolveAsync(context, cancellationToken).ConfigureAwait(false);
        return scope.Status != ReadScopeStatus.Ok || !DeviceId.TryParse(deviceId, out DeviceId id) || !scope.TryGet(id, out ReadableDevice? device)
            ? (scope.Status == ReadScopeStatus.Ok ? new DeviceReadScope(ReadScopeStatus.Ok) : scope)
            : new DeviceReadScope(ReadScopeStatus.Ok, [device!]);
    }
}

/// <summary>How a request's credentials turned out.</summary>
public enum ReadScopeStatus
{
    /// <summary>A valid token; <see cref="DeviceReadScope.Devices"/> is what it may read (maybe nothing).</summary>
    Ok,

    /// <summary>No token, a malformed one, or one that is unknown, expired, disabled or revoked: 401.</summary>
    Unauthenticated,

    /// <summary>A valid token that may read no workspace data at all (the operator's): 403.</summary>
    Forbidden,

    /// <summary>Too many failed authentications from this client: 429 with Retry-After.</summary>
    RateLimited,
}

/// <summary>A device a caller may read, with the names joined from the metadata store.</summary>
public sealed record ReadableDevice(DeviceId Id, string Name, string WorkspaceId, string WorkspaceName);

/// <summary>The devices one request may read.</summary>
public sealed class DeviceReadScope
{
    private readonly Dictionary<DeviceId, ReadableDevice> _devices;

    public DeviceReadScope(ReadScopeStatus status, IEnumerable<ReadableDevice>? devices = null, TimeSpan? retryAfter = null)
    {
        Status = status;
        RetryAfter = retryAfter;
        _devices = (devices ?? []).ToDictionary(d => d.Id);
    }

    public ReadScopeStatus Status { get; }

    /// <summary>Set with <see cref="ReadScopeStatus.RateLimited"/>.</summary>
    public TimeSpan? RetryAfter { get; }

    public IReadOnlyCollection<ReadableDevice> Devices => _devices.Values;

    /// <summary>
    /// The device when the caller may read it. A device that exists but is out of reach answers false exactly as
    /// one that does not exist, so that endpoints answer 404 for both and leak nothing about other workspaces.
    /// </summary>
    public bool TryGet(DeviceId id, out ReadableDevice? device) => _devices.TryGetValue(id, out device);
}
