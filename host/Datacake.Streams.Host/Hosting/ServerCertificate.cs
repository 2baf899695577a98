using Datacake.Streams.Files;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Datacake.Streams.Hosting;

/// <summary>
/// The certificate of the HTTPS and MQTTS listeners: the configured one, else a self-signed one made on first
/// run under the data folder (development only: clients must trust it explicitly).
/// </summary>
public static class ServerCertificate
{
    public static X509Certificate2 Load(StreamsOptions options)
    {
        if (!string.IsNullOrEmpty(options.CertificatePath))
        {
            return X509CertificateLoader.LoadPkcs12FromFile(options.CertificatePath, options.CertificatePassword);
        }

        var folder = Path.Combine(options.FullDataDirectory, "certs");
        var path = Path.Combine(folder, "self-signed.pfx");
        if (!File.Exists(path))
        {
            PrivateFile.CreateDirectory(folder);
            using var created = CreateSelfSigned();
            PrivateFile.WriteAllBytes(path, created.Export(X509ContentType.Pkcs12));
            PrivateFile.WriteAllText(Path.Combine(folder, "self-signed.crt"), created.ExportCertificatePem());
        }

        return X509CertificateLoader.LoadPkcs12FromFile(path, password: null);
    }

    private static X509Certificate2 CreateSelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=datacake-streams (self-signed)", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        names.AddIpAddress(System.Net.IPAddress.IPv6Loopback);
        names.AddDnsName(Environment.MachineName);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-1), now.AddYears(2));
    }
}
