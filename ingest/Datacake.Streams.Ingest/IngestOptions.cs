using System.Net;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Ingest;

/// <summary>Device ingest settings, section "Ingest" (<c>Ingest__Http__MaxBodyBytes=...</c> in the environment).</summary>
public sealed record IngestOptions
{
    public const string Section = "Ingest";

    public HttpIngestOptions Http { get; init; } = new();

    public MqttIngestOptions Mqtt { get; init; } = new();
}

/// <summary><c>POST /v1/devices/{id}/measurements</c>.</summary>
public sealed record HttpIngestOptions
{
    /// <summary>Largest body accepted (413 beyond). 1 MiB holds ~10,000 typical 100-byte entries.</summary>
    public int MaxBodyBytes { get; init; } = 1024 * 1024;

    /// <summary>Most entries in one array body.</summary>
    public int MaxEntries { get; init; } = 10_000;

    /// <summary>
    /// Failed authentications one client IP may make per <see cref="FailedAuthenticationWindow"/> before every request
    /// from it gets 429 until the window ends. 20 per minute lets a misconfigured device retry, and stops guessing.
    /// </summary>
    public int FailedAuthenticationsPerWindow { get; init; } = 20;

    public TimeSpan FailedAuthenticationWindow { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Requests per second one token may make; 0 = no per-token limit (the default).</summary>
    public double TokenRequestsPerSecond { get; init; }

    /// <summary>Burst allowed above <see cref="TokenRequestsPerSecond"/>.</summary>
    public int TokenBurst { get; init; } = 50;

    /// <summary>Retry-After for 503 while the record log is unavailable.</summary>
    public int UnavailableRetryAfterSeconds { get; init; } = 2;
}

/// <summary>The MQTT broker for devices.</summary>
public sealed record MqttIngestOptions
{
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
    /// QoS 0 appends in flight across all connections. Beyond it a connection's reader waits for the log, which pushes
    /// back on the device through TCP instead of growing memory. 20,000 × ~300 B ≈ 6 MB.
    /// </summary>
    public int MaxPendingQos0Appends { get; init; } = 20_000;

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
public sealed class IngestOptionsValidator(IngestCertificateSource? certificate = null) : IValidateOptions<IngestOptions>
{
    public ValidateOptionsResult Validate(string? name, IngestOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var http = options.Http;
        if (http.MaxBodyBytes is < 64 or > 32 * 1024 * 1024)
        {
            failures.Add("Ingest:Http:MaxBodyBytes: 64 bytes to 32 MiB (the host's outer request limit)");
        }

        if (http.MaxEntries < 1)
        {
            failures.Add("Ingest:Http:MaxEntries: at least 1");
        }

        if (http.FailedAuthenticationsPerWindow < 1 || http.FailedAuthenticationWindow <= TimeSpan.Zero)
        {
            failures.Add("Ingest:Http:FailedAuthenticationsPerWindow and FailedAuthenticationWindow: positive");
        }

        if (http.TokenRequestsPerSecond < 0 || http.TokenBurst < 1)
        {
            failures.Add("Ingest:Http:TokenRequestsPerSecond: 0 (off) or positive; TokenBurst: at least 1");
        }

        if (http.UnavailableRetryAfterSeconds < 1)
        {
            failures.Add("Ingest:Http:UnavailableRetryAfterSeconds: at least 1");
        }

        var mqtt = options.Mqtt;
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

            if (mqtt.MaxPendingQos0Appends < 1 || mqtt.UnavailableHold < TimeSpan.Zero)
            {
                failures.Add("Ingest:Mqtt:MaxPendingQos0Appends: at least 1; UnavailableHold: not negative");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
