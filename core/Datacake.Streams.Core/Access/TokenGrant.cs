using System.Collections.Immutable;
using Datacake.Streams.Ids;

namespace Datacake.Streams.Access;

/// <summary>
/// What a token may do: a role in a workspace (and its sub-workspaces) and/or a list of devices with read or
/// read-write access. Holds the token's hash, never the token. Immutable; a change publishes a new grant.
/// </summary>
/// <remarks>
/// Disable and revoke are instants rather than flags, so that a processor can ask whether the credential was valid
/// when a record was received: a record received before the revocation is still written, one after it is refused.
/// Revoking publishes the grant with <see cref="RevokedAt"/> set; removing the token from the registry (a tombstone)
/// is for later, once no record that could carry it is left unprocessed.
/// </remarks>
public sealed class TokenGrant : ITokenHashKeyed
{
    private readonly long _expiresAt;
    private readonly long _disabledAt;
    private readonly long _revokedAt;
    private readonly ImmutableArray<DeviceGrant> _devices = [];

    public required string TokenId { get; init; }

    /// <summary>SHA-256 of the current secret.</summary>
    public required TokenHash Hash { get; init; }

    /// <summary>The workspace the token belongs to; its <see cref="Role"/> applies there and in every sub-workspace.</summary>
    public string? WorkspaceId { get; init; }

    public WorkspaceRole Role { get; init; }

    /// <summary>Devices granted one by one, sorted by id, one entry per device (the strongest access wins).</summary>
    public ImmutableArray<DeviceGrant> Devices
    {
        get => _devices;
        init => _devices = Normalize(value);
    }

    public DateTimeOffset? ExpiresAt
    {
        get => RegistryTime.FromTicks(_expiresAt);
        init => _expiresAt = RegistryTime.ToTicks(value);
    }

    public DateTimeOffset? DisabledAt
    {
        get => RegistryTime.FromTicks(_disabledAt);
        init => _disabledAt = RegistryTime.ToTicks(value);
    }

    public DateTimeOffset? RevokedAt
    {
        get => RegistryTime.FromTicks(_revokedAt);
        init => _revokedAt = RegistryTime.ToTicks(value);
    }

    public TokenRotation? Rotation { get; init; }

    /// <summary>Whether the secret hashing to <paramref name="presented"/> was good at <paramref name="at"/>, scope aside.</summary>
    public AuthenticationResult StatusAt(TokenHash presented, DateTimeOffset at)
    {
        var current = presented == Hash;
        if (!current && (Rotation is not { } rotation || presented != rotation.PreviousHash))
        {
            return AuthenticationResult.Unknown;
        }

        if (RegistryTime.ReachedBy(_revokedAt, at))
        {
            return AuthenticationResult.Revoked;
        }

        if (RegistryTime.ReachedBy(_disabledAt, at))
        {
            return AuthenticationResult.Disabled;
        }

        if (RegistryTime.ReachedBy(_expiresAt, at))
        {
            return AuthenticationResult.Expired;
        }

        // A rotated-out secret works until the grace deadline, then reads as expired.
        return current || at < Rotation!.ValidUntil ? AuthenticationResult.Ok : AuthenticationResult.Expired;
    }

    bool ITokenHashKeyed.IsKeyedBy(TokenHash hash) => hash == Hash || (Rotation is { } rotation && rotation.PreviousHash == hash);

    /// <summary>The access this token's device list gives to <paramref name="device"/> (workspace roles aside).</summary>
    public DeviceAccess AccessTo(DeviceId device)
    {
        var devices = _devices.AsSpan();

        // Most tokens list one device or a handful: a linear scan beats a binary search below ~8 entries.
        if (devices.Length <= 8)
        {
            foreach (var grant in devices)
            {
                if (grant.Device == device)
                {
                    return grant.Access;
                }
            }

            return DeviceAccess.None;
        }

        int low = 0, high = devices.Length - 1;
        while (low <= high)
        {
            var middle = low + ((high - low) >> 1);
            var order = Compare(devices[middle].Device, device);
            if (order == 0)
            {
                return devices[middle].Access;
            }

            if (order < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return DeviceAccess.None;
    }

    internal static int Compare(DeviceId left, DeviceId right)
    {
        var high = left.High.CompareTo(right.High);
        return high != 0 ? high : left.Low.CompareTo(right.Low);
    }

    private static ImmutableArray<DeviceGrant> Normalize(ImmutableArray<DeviceGrant> devices)
    {
        if (devices.IsDefaultOrEmpty)
        {
            return [];
        }

        var sorted = devices.Where(d => d.Access != DeviceAccess.None).ToArray();
        Array.Sort(sorted, static (a, b) => Compare(a.Device, b.Device));
        var builder = ImmutableArray.CreateBuilder<DeviceGrant>(sorted.Length);
        foreach (var grant in sorted)
        {
            if (builder.Count > 0 && builder[^1].Device == grant.Device)
            {
                if (grant.Access > builder[^1].Access)
                {
                    builder[^1] = grant;
                }
            }
            else
            {
                builder.Add(grant);
            }
        }

        return builder.Count == builder.Capacity ? builder.MoveToImmutable() : builder.ToImmutable();
    }
}
