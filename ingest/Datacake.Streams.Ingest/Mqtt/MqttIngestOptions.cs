using System.Net;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Ingest.Mqtt;

/// <summary>The MQTT broker for devices, section "Ingest:Mqtt".</summary>
public sealed record MqttIngestOptions
{
    public const string Section = "Ingest:Mqtt";

    public bool Enabled { get; init; } = true;

    /// <summary>Plain MQTT, loopback only (development, tests, a local gateway). Empty = none.</summary>
    public string? PlainEndpoint { get; init; } = "127.0.0.1:1883";

    /// <summary>MQTTS. Null = 0.0.0.0:8883 when the host has a certificate configured, else none; empty = none.</summary>
    public string? TlsEndpoint { get; init; }

    /// <summary>Largest PUBLISH payload (v5: DISCONNECT 0x95 Packet too large beyond; 3.1.1: the connection is closed).</summary>
    public int MaxPayloadBytes { get; init; } = 256 * 1024;

    /// <summary>How often every session's token is re-checked. 500 ms keeps a revoked session open under the 2 s promise.</summary>
    public TimeSpan RevocationCheckInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How long a new connection has for its TLS handshake and its CONNECT before it is closed: an unauthenticated
    /// socket holds at most this long (and at most 8 KiB of CONNECT). 10 s covers a device on a slow cellular link.
    /// </summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Sockets one source address may hold open before their CONNECT is accepted; a further one is closed at accept,
    /// unread. Without it one address opening sockets faster than <see cref="ConnectTimeout"/> closes them takes every
    /// file descriptor of the process (20,000 here), and with them HTTP and every other tenant's devices. 1,000 lets a
    /// carrier NAT's devices reconnect together (each is pending for one handshake); past that they retry.
    /// </summary>
    public int MaxPendingConnectionsPerAddress { get; init; } = 1000;

    /// <summary>
    /// Connections one credential (token) may hold open at once; a further CONNECT gets v5 0x97 Quota exceeded (3.1.1:
    /// 0x03 Server unavailable). A leaked or looping token then costs its own workspace, not the node's file
    /// descriptors. 1,000 is far above a gateway's or the load tools' (256) connections per token.
    /// </summary>
    public int MaxConnectionsPerCredential { get; init; } = 1000;

    /// <summary>
    /// Sessions without a connection one credential may have the broker keep (a client may ask for one that never
    /// expires); past it the one released longest ago is forgotten. Without it a token cycling through client ids grows
    /// memory every tenant shares without end. 1,000: every connection <see cref="MaxConnectionsPerCredential"/> allows
    /// can go offline and find its session again.
    /// </summary>
    public int MaxKeptSessionsPerCredential { get; init; } = 1000;

    /// <summary>How long a QoS 1 PUBLISH waits for an unavailable log before the connection is closed without PUBACK.</summary>
    public TimeSpan UnavailableHold { get; init; } = TimeSpan.FromSeconds(5);

    internal const string DefaultTlsEndpoint = "0.0.0.0:8883";

    /// <summary>"host:port" as an endpoint; host is an IP address, <c>localhost</c>, <c>*</c> or <c>0.0.0.0</c>.</summary>
    public static bool TryParseEndpoint(string? text, out IPEndPoint endpoint)
    {
        endpoint = new IPEndPoint(IPAddress.None, 0);
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !ushort.TryParse(text.AsSpan(colon + 1), out var port) || port == 0)
        {
            return false;
        }

        var host = text[..colon].Trim('[', ']');
        IPAddress? address = host switch
        {
            "localhost" => IPAddress.Loopback,
            "*" or "+" => IPAddress.Any,
            _ => IPAddress.TryParse(host, out var parsed) ? parsed : null,
        };
        if (address is null)
        {
            return false;
        }

        endpoint = new IPEndPoint(address, port);
        return true;
    }
}

/// <summary>Refuses settings that would break a promise: a plain listener off loopback, a TLS listener with no certificate.</summary>
public sealed class MqttIngestOptionsValidator(IngestCertificateSource? certificate = null) : IValidateOptions<MqttIngestOptions>
{
    public ValidateOptionsResult Validate(string? name, MqttIngestOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var mqtt = options;
        if (mqtt.Enabled)
        {
            if (!string.IsNullOrEmpty(mqtt.PlainEndpoint))
            {
                if (!MqttIngestOptions.TryParseEndpoint(mqtt.PlainEndpoint, out var plain))
                {
                    failures.Add($"Ingest:Mqtt:PlainEndpoint: '{mqtt.PlainEndpoint}' is not host:port");
                }
                else if (!IPAddress.IsLoopback(plain.Address))
                {
                    failures.Add($"Ingest:Mqtt:PlainEndpoint: plain MQTT only on loopback (got {mqtt.PlainEndpoint}); use Ingest:Mqtt:TlsEndpoint for other interfaces");
                }
            }

            if (!string.IsNullOrEmpty(mqtt.TlsEndpoint))
            {
                if (!MqttIngestOptions.TryParseEndpoint(mqtt.TlsEndpoint, out _))
                {
                    failures.Add($"Ingest:Mqtt:TlsEndpoint: '{mqtt.TlsEndpoint}' is not host:port");
                }
                else if (certificate is null)
                {
                    failures.Add("Ingest:Mqtt:TlsEndpoint needs a certificate: set Streams:CertificatePath or Streams:HttpsUrl");
                }
            }

            if (mqtt.MaxPayloadBytes is < 64 or > 16 * 1024 * 1024)
            {
                failures.Add("Ingest:Mqtt:MaxPayloadBytes: 64 bytes to 16 MiB");
            }

            if (mqtt.RevocationCheckInterval <= TimeSpan.Zero || mqtt.RevocationCheckInterval > TimeSpan.FromSeconds(1.5))
            {
                failures.Add("Ingest:Mqtt:RevocationCheckInterval: above 0 and at most 1.5 s (revoked sessions close within 2 s)");
            }

            if (mqtt.ConnectTimeout <= TimeSpan.Zero || mqtt.ConnectTimeout > TimeSpan.FromMinutes(5) || mqtt.UnavailableHold < TimeSpan.Zero)
            {
                failures.Add("Ingest:Mqtt:ConnectTimeout: above 0 and at most 5 minutes; UnavailableHold: not negative");
            }

            if (mqtt.MaxPendingConnectionsPerAddress is < 1 or > 1_000_000 || mqtt.MaxConnectionsPerCredential is < 1 or > 1_000_000
                || mqtt.MaxKeptSessionsPerCredential is < 0 or > 1_000_000)
            {
                failures.Add("Ingest:Mqtt:MaxPendingConnectionsPerAddress and MaxConnectionsPerCredential: 1 to 1,000,000; MaxKeptSessionsPerCredential: 0 to 1,000,000");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
