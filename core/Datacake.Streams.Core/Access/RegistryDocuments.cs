using System.Text.Json.Serialization;

namespace Datacake.Streams.Access;

// The wire shapes of dcs.registry values (JSON, UTF-8). Kept apart from the domain types so that the wire format
// changes only on purpose. "v" is the format version: additive fields keep v1 (readers ignore unknown properties);
// only an incompatible change bumps it, and older readers then fail closed (the entity is dropped from their view).

internal sealed class TokenDocument
{
    [JsonPropertyName("v")]
    public int Version { get; set; }

    public string Id { get; set; } = "";

    public string Hash { get; set; } = "";

    public string? Workspace { get; set; }

    public WorkspaceRole Role { get; set; }

    public List<DeviceGrantDocument>? Devices { get; set; }

    public DateTimeOffset? ExpiresAt { get; set; }

    public DateTimeOffset? DisabledAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }

    public string? PreviousHash { get; set; }

    public DateTimeOffset? PreviousValidUntil { get; set; }
}

internal sealed class DeviceGrantDocument
{
    public string Id { get; set; } = "";

    public DeviceAccess Access { get; set; }
}

internal sealed class WebhookDocument
{
    [JsonPropertyName("v")]
    public int Version { get; set; }

    public string Id { get; set; } = "";

    public string Workspace { get; set; } = "";

    public WebhookKind Kind { get; set; }

    public string TokenHash { get; set; } = "";

    public List<string>? Devices { get; set; }

    public DateTimeOffset? DisabledAt { get; set; }

    /// <summary>AES-GCM sealed signing key (<see cref="RegistrySecretSealer"/>), base64 in JSON.</summary>
    public byte[]? SealedSecret { get; set; }

    /// <summary>A rotation's replaced token hash and its overlap deadline (both or neither).</summary>
    public string? PreviousTokenHash { get; set; }

    public DateTimeOffset? PreviousTokenValidUntil { get; set; }

    /// <summary>A rotation's replaced signing key, sealed under its own associated data, and its overlap deadline.</summary>
    public byte[]? SealedPreviousSecret { get; set; }

    public DateTimeOffset? PreviousSecretValidUntil { get; set; }
}

internal sealed class DeviceDocument
{
    [JsonPropertyName("v")]
    public int Version { get; set; }

    public string Id { get; set; } = "";

    public string Workspace { get; set; } = "";

    public DateTimeOffset? DeletedAt { get; set; }

    public string? DevEui { get; set; }

    public string? Serial { get; set; }

    public string? ParticleId { get; set; }

    public string? Decoder { get; set; }
}

internal sealed class WorkspaceDocument
{
    [JsonPropertyName("v")]
    public int Version { get; set; }

    public string Id { get; set; } = "";

    public string? Parent { get; set; }

    /// <summary>The operator's ingest quota; absent (not null) when the workspace has none, so older values read the same.</summary>
    public QuotaDocument? Quota { get; set; }
}

internal sealed class QuotaDocument
{
    public double PointsPerSecond { get; set; }

    public double Burst { get; set; }
}

internal sealed class DecoderDocument
{
    [JsonPropertyName("v")]
    public int Version { get; set; }

    public string Id { get; set; } = "";

    public string Workspace { get; set; } = "";

    public string Source { get; set; } = "";
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(TokenDocument))]
[JsonSerializable(typeof(WebhookDocument))]
[JsonSerializable(typeof(DeviceDocument))]
[JsonSerializable(typeof(WorkspaceDocument))]
[JsonSerializable(typeof(DecoderDocument))]
internal sealed partial class RegistryJsonContext : JsonSerializerContext;
