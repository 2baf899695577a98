using System.Security.Cryptography.X509Certificates;

namespace Datacake.Streams.Ingest.Mqtt;

/// <summary>
/// The host's server certificate for MQTTS (the one its HTTPS listener uses). Registered by the host only when a
/// certificate is configured; loaded once, on first use.
/// </summary>
public sealed class IngestCertificateSource(Func<X509Certificate2> load)
{
    private readonly Lazy<X509Certificate2> _certificate = new(load);

    public X509Certificate2 Certificate => _certificate.Value;
}
