namespace Datacake.Streams.Ingest.Bridge;

/// <summary>
/// One external MQTT broker a workspace already uses, and how its messages become raw records: where to connect, what
/// to subscribe, how a message names its device, and the workspace or device token that authorizes the writes.
/// Configured under <c>Ingest:Bridges</c> (a list); an API (<c>/v1/workspaces/{id}/bridges</c>) can publish the
/// same definitions later.
/// </summary>
/// <remarks>
/// Holds two secrets, <see cref="Password"/> and <see cref="Token"/>: <see cref="ToString"/> prints neither, and
/// nothing in the bridge logs them. Records carry only the token's SHA-256.
/// </remarks>
public sealed record BridgeDefinition
{
    /// <summary>The default of <see cref="MaxPayloadBytes"/>: 256 KiB, far above any sensor message.</summary>
    public const int DefaultMaxPayloadBytes = 256 * 1024;

    /// <summary>Names the bridge in logs and metrics: 1-64 of <c>[a-z0-9-]</c>, unique among the bridges.</summary>
    public string Name { get; init; } = "";

    /// <summary>False keeps the definition but does not connect.</summary>
    public bool Enabled { get; init; } = true;

    public string Host { get; init; } = "";

    /// <summary>0: 8883 with TLS, 1883 without.</summary>
    public int Port { get; init; }

    /// <summary>TLS on (the default). Off is allowed only for a broker on a loopback address: the password would travel in clear.</summary>
    public bool UseTls { get; init; } = true;

    /// <summary>PEM file of the CA(s) that issued the broker's certificate; empty: the system's trust store.</summary>
    public string? CaFile { get; init; }

    /// <summary>Client certificate for brokers that want one: PEM (with <see cref="ClientKeyFile"/>) or PKCS#12.</summary>
    public string? ClientCertificateFile { get; init; }

    /// <summary>PEM private key of <see cref="ClientCertificateFile"/>, when that is a PEM certificate.</summary>
    public string? ClientKeyFile { get; init; }

    /// <summary>Password of a PKCS#12 <see cref="ClientCertificateFile"/>.</summary>
    public string? ClientCertificatePassword { get; init; }

    public string? Username { get; init; }

    public string? Password { get; init; }

    /// <summary>
    /// The MQTT client id; the broker keeps the persistent session under it, so it must stay the same across restarts
    /// and be used by one connection at a time. Empty: <c>dcs-bridge-&lt;Name&gt;</c>.
    /// </summary>
    public string? ClientId { get; init; }

    public BridgeProtocol Protocol { get; init; } = BridgeProtocol.V500;

    /// <summary>
    /// Topic filters to subscribe. Empty: the filter of <see cref="BridgeMapping.Topic"/> (its placeholder as <c>+</c>).
    /// </summary>
    public IReadOnlyList<string> Topics { get; init; } = [];

    /// <summary>Subscription QoS. 1 (the default) or 2: the broker keeps messages for the session while we are away; 0 loses them.</summary>
    public int Qos { get; init; } = 1;

    /// <summary>How a message names its device.</summary>
    public BridgeMapping Mapping { get; init; } = new();

    /// <summary>
    /// A workspace token (role editor or higher) or a device token (read-write) the workspace created; its SHA-256 goes
    /// into every record, and processing checks that it may write the device. From configuration or the environment
    /// (<c>Ingest__Bridges__0__Token</c>).
    /// </summary>
    public string Token { get; init; } = "";

    /// <summary>How the payload reaches the processors.</summary>
    public BridgePayload Payload { get; init; } = BridgePayload.Auto;

    /// <summary>Larger payloads are acknowledged, counted and dropped.</summary>
    public int MaxPayloadBytes { get; init; } = DefaultMaxPayloadBytes;

    /// <summary>
    /// Record message id = a hash of topic and payload, so that a message the broker redelivers after a reconnect is
    /// recognised by the processors' deduplication. The price: two byte-identical messages on one topic within the
    /// dedup window collapse into one. Turn off for devices that repeat identical payloads on purpose (then a redelivery
    /// is written twice).
    /// </summary>
    public bool Deduplicate { get; init; } = true;

    /// <summary>
    /// How long the broker keeps the session (subscriptions and queued QoS 1/2 messages) while the bridge is away:
    /// MQTT 5 session expiry. 7 days covers a long outage; MQTT 3.1.1 sessions last until the broker's own limit.
    /// </summary>
    public TimeSpan SessionExpiry { get; init; } = TimeSpan.FromDays(7);

    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>First wait before reconnecting; doubles on each failure up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Messages the broker may have in flight to us unacknowledged (MQTT 5 receive maximum).</summary>
    public int ReceiveMaximum { get; init; } = 256;

    /// <summary>
    /// Connections to the broker. 1 (the default): one session under <see cref="EffectiveClientId"/>. More: a shared
    /// subscription (<c>$share/dcs-&lt;Name&gt;/&lt;filter&gt;</c>, MQTT 5 and Mosquitto 2 have them) over that many
    /// sessions, client ids <c>&lt;id&gt;-1</c> … <c>&lt;id&gt;-N</c>, so that a broker's in-flight window per client
    /// (Mosquitto's <c>max_inflight_messages</c>, 20 by default) does not cap the bridge: 20 messages per 2 ms commit
    /// is ~10k/s for one connection. One device's messages may then arrive out of order; each carries its own receive
    /// time and content key, so nothing the processors check depends on their order. Changing the count changes the
    /// client ids: what the broker still queues for the old sessions stays there.
    /// </summary>
    public int Connections { get; init; } = 1;

    /// <summary>The client id of connection <paramref name="index"/> (0-based) of <see cref="Connections"/>.</summary>
    public string ClientIdOf(int index) => Connections == 1 ? EffectiveClientId : $"{EffectiveClientId}-{index + 1}";

    /// <summary>The filters each connection subscribes: shared among the connections when there are several.</summary>
    public IReadOnlyList<string> SubscriptionsOf(IReadOnlyList<string> filters)
    {
        ArgumentNullException.ThrowIfNull(filters);
        return Connections == 1 ? filters : [.. filters.Select(filter => $"$share/dcs-{Name}/{filter}")];
    }

    public string EffectiveClientId => string.IsNullOrEmpty(ClientId) ? "dcs-bridge-" + Name : ClientId;

    public int EffectivePort => Port != 0 ? Port : UseTls ? 8883 : 1883;

    /// <summary>Never prints <see cref="Password"/>, <see cref="Token"/> or <see cref="ClientCertificatePassword"/>.</summary>
    public override string ToString() => $"bridge {Name} ({Host}:{EffectivePort}, client id {EffectiveClientId})";
}

/// <summary>Which MQTT version the bridge speaks to the broker.</summary>
public enum BridgeProtocol
{
    /// <summary>MQTT 5: session expiry interval, receive maximum, reason codes.</summary>
    V500,

    /// <summary>MQTT 3.1.1: clean session off; the broker decides how long the session lasts.</summary>
    V311,
}

/// <summary>How a bridged payload is handed to the processors.</summary>
public enum BridgePayload
{
    /// <summary>
    /// RAW_BYTES when the device has a payload decoder other than "json"; else JSON_VALUES when the payload is a JSON
    /// object or an array of objects (docs/DATA-MODEL.md); else RAW_BYTES.
    /// </summary>
    Auto,

    JsonValues,

    RawBytes,
}
