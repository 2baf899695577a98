using Datacake.Streams.Ids;

namespace Datacake.Streams.Access;

/// <summary>
/// A device as the ingest and processing nodes need it: which workspace owns it, whether it is deleted, the
/// identities webhooks route by, and its payload decoder. Names stay in the metadata store.
/// </summary>
public sealed class DeviceEntry
{
    private readonly long _deletedAt;

    public required DeviceId Id { get; init; }

    public required string WorkspaceId { get; init; }

    /// <summary>
    /// When the device was deleted (it stays restorable, its data hidden, for the recovery window). Nothing is
    /// written to or read from a deleted device after this instant.
    /// </summary>
    public DateTimeOffset? DeletedAt
    {
        get => RegistryTime.FromTicks(_deletedAt);
        init => _deletedAt = RegistryTime.ToTicks(value);
    }

    public DevEui? DevEui { get; init; }

    public string? Serial { get; init; }

    public string? ParticleId { get; init; }

    /// <summary>"cayennelpp", "json" or the id of a JavaScript decoder; null = none.</summary>
    public string? DecoderId { get; init; }

    public bool IsDeletedAt(DateTimeOffset at) => RegistryTime.ReachedBy(_deletedAt, at);
}
