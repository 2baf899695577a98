using System.Net;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Hosting;

/// <summary>Which record log backend connects the roles.</summary>
public enum RecordLogBackend
{
    /// <summary>FasterLog on local disk: single machine, all roles in one process.</summary>
    Embedded,

    /// <summary>Kafka: roles on several machines, processors in one consumer group.</summary>
    Kafka,
}

/// <summary>Host settings, section "Streams". Environment: <c>Streams__Roles=ingest</c>, or the short aliases in <see cref="EnvironmentAliases"/>.</summary>
public sealed record StreamsOptions
{
    public const string Section = "Streams";

    /// <summary>Comma-separated roles: ingest, process, api, all.</summary>
    public string Roles { get; init; } = "all";

    /// <summary>Where the embedded log, the metadata store, certificates and the operator token live.</summary>
    public string DataDirectory { get; init; } = "data";

    public RecordLogBackend RecordLog { get; init; } = RecordLogBackend.Embedded;

    /// <summary>Plain HTTP listener; allowed only on a loopback address (development, tests, a local reverse proxy).</summary>
    public string HttpUrl { get; init; } = "http://127.0.0.1:8080";

    /// <summary>HTTPS listener, e.g. "https://0.0.0.0:8443"; empty = none. Uses <see cref="CertificatePath"/> or a self-signed development certificate.</summary>
    public string? HttpsUrl { get; init; }

    /// <summary>PFX/PKCS#12 certificate for HTTPS and MQTTS; empty = a self-signed one made on first run under the data folder.</summary>
    public string? CertificatePath { get; init; }

    public string? CertificatePassword { get; init; }

    /// <summary>
    /// Host names and IP addresses added to the self-signed certificate besides localhost, the loopback addresses and
    /// the machine name: the names other services dial, e.g. "api" on a compose network. Only without <see cref="CertificatePath"/>.
    /// </summary>
    public IReadOnlyList<string> CertificateNames { get; init; } = [];

    /// <summary>
    /// Where the host writes the public part of its HTTPS certificate (PEM, mode 0644) at start, for a client that must
    /// trust it (compose's Grafana mounts it as its CA); empty = not written. Only the certificate: the key never leaves
    /// the data folder.
    /// </summary>
    public string? PublicCertificateFile { get; init; }

    /// <summary>
    /// Longest time a client may take to send a request's headers (Kestrel's <c>RequestHeadersTimeout</c>) before the
    /// connection is closed: what a slowloris client, trickling header lines to hold connections open, is allowed.
    /// 10 s instead of Kestrel's 30 s: a device or webhook sends its headers in milliseconds, a slow mobile link in a
    /// second or two; each held connection is gone three times sooner.
    /// </summary>
    public TimeSpan RequestHeadersTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public NodeRoles ParsedRoles => NodeRolesParser.TryParse(Roles, out var roles, out _) ? roles : NodeRoles.None;

    public string FullDataDirectory => Path.GetFullPath(DataDirectory);
}

public sealed class StreamsOptionsValidator : IValidateOptions<StreamsOptions>
{
    public ValidateOptionsResult Validate(string? name, StreamsOptions options)
    {
        var failures = new List<string>();
        if (!NodeRolesParser.TryParse(options.Roles, out var roles, out var error))
        {
            failures.Add($"Streams:Roles: {error}");
        }
        else if (roles == NodeRoles.None)
        {
            failures.Add("Streams:Roles: at least one role");
        }

        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            failures.Add("Streams:DataDirectory must name a folder");
        }

        if (options.RecordLog == RecordLogBackend.Embedded && roles != NodeRoles.All && roles != NodeRoles.None)
        {
            // FasterLog is a local file: a separate ingest and processing process cannot share it safely.
            failures.Add("Streams:RecordLog=Embedded runs all roles in one process; use Kafka to split roles");
        }

        CheckListener(options.HttpUrl, "Streams:HttpUrl", requireTls: false, failures);
        if (!string.IsNullOrEmpty(options.HttpsUrl))
        {
            CheckListener(options.HttpsUrl, "Streams:HttpsUrl", requireTls: true, failures);
        }

        if (!string.IsNullOrEmpty(options.CertificatePath) && !File.Exists(options.CertificatePath))
        {
            failures.Add($"Streams:CertificatePath: no file at {options.CertificatePath}");
        }

        CheckCertificateNames(options, failures);
        if (options.RequestHeadersTimeout < TimeSpan.FromSeconds(1) || options.RequestHeadersTimeout > TimeSpan.FromMinutes(5))
        {
            failures.Add("Streams:RequestHeadersTimeout: 1 s to 5 min");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckCertificateNames(StreamsOptions options, List<string> failures)
    {
        // A configured certificate carries its own names: a name listed here would silently not be in it.
        if (!string.IsNullOrEmpty(options.CertificatePath) && options.CertificateNames.Count > 0)
        {
            failures.Add("Streams:CertificateNames applies to the self-signed certificate only; put the names into the certificate at Streams:CertificatePath");
        }

        foreach (var name in options.CertificateNames)
        {
            if (Uri.CheckHostName(name) is not (UriHostNameType.Dns or UriHostNameType.IPv4 or UriHostNameType.IPv6))
            {
                failures.Add($"Streams:CertificateNames: '{name}' is not a host name or an IP address");
            }
        }
    }

    private static void CheckListener(string? url, string key, bool requireTls, List<string> failures)
    {
        if (string.IsNullOrEmpty(url))
        {
            if (requireTls)
            {
                failures.Add($"{key} is empty");
            }

            return;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            failures.Add($"{key}: '{url}' is not an http(s) URL");
            return;
        }

        if (requireTls && uri.Scheme != Uri.UriSchemeHttps)
        {
            failures.Add($"{key} must be https");
        }

        if (uri.Scheme == Uri.UriSchemeHttp && !IsLoopback(uri.Host))
        {
            failures.Add($"{key}: plain HTTP only on loopback (got {uri.Host}); use HttpsUrl for other addresses");
        }
    }

    internal static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
