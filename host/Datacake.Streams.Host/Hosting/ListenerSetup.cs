using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Datacake.Streams.Hosting;

/// <summary>Kestrel listeners from <see cref="StreamsOptions"/>: plain HTTP on loopback only, HTTPS elsewhere.</summary>
internal static class ListenerSetup
{
    public static void Configure(KestrelServerOptions kestrel, StreamsOptions options)
    {
        kestrel.AddServerHeader = false;

        // Device ingest bodies are limited per endpoint (1 MiB default); this is the outer bound for any request.
        kestrel.Limits.MaxRequestBodySize = 32 * 1024 * 1024;

        // Slow clients: headers within RequestHeadersTimeout; bodies and answers at least Kestrel's 240 bytes/s after a
        // 5 s grace (its defaults, kept). No cap on concurrent connections: with no per-address cap in Kestrel, a
        // global one would let one client's idle connections lock every tenant out; each held connection costs a
        // socket and a few KiB, and the timeout bounds how long it is held.
        kestrel.Limits.RequestHeadersTimeout = options.RequestHeadersTimeout;

        if (TryEndpoint(options.HttpUrl, out var http) && StreamsOptionsValidator.IsLoopback(http.Host))
        {
            Listen(kestrel, http, _ => { });
        }

        if (!string.IsNullOrEmpty(options.HttpsUrl) && TryEndpoint(options.HttpsUrl, out var https) && https.Scheme == Uri.UriSchemeHttps)
        {
            var certificate = ServerCertificate.Load(options);
            if (!string.IsNullOrWhiteSpace(options.PublicCertificateFile))
            {
                ServerCertificate.ExportPublic(certificate, options.PublicCertificateFile);
            }

            Listen(kestrel, https, listen => listen.UseHttps(certificate));
        }
    }

    private static bool TryEndpoint(string? url, out Uri uri) =>
        Uri.TryCreate(url, UriKind.Absolute, out uri!) && uri.Port > 0;

    private static void Listen(KestrelServerOptions kestrel, Uri uri, Action<ListenOptions> configure)
    {
        var host = uri.Host.Trim('[', ']');
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            kestrel.ListenLocalhost(uri.Port, configure);
        }
        else if (host is "*" or "+" or "0.0.0.0")
        {
            kestrel.ListenAnyIP(uri.Port, configure);
        }
        else
        {
            kestrel.Listen(IPAddress.Parse(host), uri.Port, configure);
        }
    }
}
