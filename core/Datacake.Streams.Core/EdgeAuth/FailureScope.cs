namespace Datacake.Streams.EdgeAuth;

/// <summary>What a failed authentication was aimed at; with the client address it keys the failure budget.</summary>
public enum FailureScopeKind : byte
{
    /// <summary>HTTP ingest: the device id in the path.</summary>
    Device,

    /// <summary>Webhook ingest: the webhook id in the path.</summary>
    Webhook,

    /// <summary>MQTT: the CONNECT user name, or the password's token prefix when there is none.</summary>
    MqttClient,

    /// <summary>The API and /v1/ops: the presented token's prefix.</summary>
    TokenPrefix,
}

/// <summary>
/// One budget's name: a kind and a value from the request (bounded to <see cref="MaxValueLength"/> characters, since a
/// client chooses it). Failures aimed at one webhook, device or token prefix never spend another's budget.
/// </summary>
public readonly record struct FailureScope(FailureScopeKind Kind, string Value)
{
    /// <summary>Device and webhook ids are 26 characters, prefixes 12; 64 keeps any honest value whole.</summary>
    public const int MaxValueLength = 64;

    public static FailureScope Device(string deviceId) => new(FailureScopeKind.Device, Bound(deviceId));

    public static FailureScope Webhook(string webhookId) => new(FailureScopeKind.Webhook, Bound(webhookId));

    public static FailureScope TokenPrefix(PresentedCredential credential) => new(FailureScopeKind.TokenPrefix, credential.Prefix());

    /// <summary>A client that names itself is one scope whatever passwords it tries; an anonymous one is scoped by the token prefix.</summary>
    public static FailureScope MqttClient(string? userName, PresentedCredential credential) =>
        string.IsNullOrEmpty(userName)
            ? new(FailureScopeKind.MqttClient, "#" + credential.Prefix())
            : new(FailureScopeKind.MqttClient, "@" + Bound(userName));

    private static string Bound(string? value) =>
        value is null ? string.Empty : value.Length <= MaxValueLength ? value : value[..MaxValueLength];
}
