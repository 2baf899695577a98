using Datacake.Streams.Files;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Datacake.Streams.Hosting;

/// <summary>
/// The certificate of the HTTPS and MQTTS listeners: the configured one, else a self-signed one made on first
/// run under the data folder (development only: clients must trust it explicitly).
/// </summary>
public static class ServerCertificate
{
    public static X509Certificate2 Load(StreamsOptions options) => Load(options, TimeProvider.System);

    public static X509Certificate2 Load(StreamsOptions options, TimeProvider time)
    {
        if (!string.IsNullOrEmpty(options.CertificatePath))
        {
            return X509CertificateLoader.LoadPkcs12FromFile(options.CertificatePath, options.CertificatePassword);
        }

        var folder = Path.Combine(options.FullDataDirectory, "certs");
        var path = Path.Combine(folder, "self-signed.pfx");
        if (File.Exists(path))
        {
            var stored = X509CertificateLoader.LoadPkcs12FromFile(path, password: null);
            if (CoversNames(stored, options.CertificateNames))
            {
                return stored;
            }

            // A name was added since the certificate was made (e.g. compose's service name): made again, or the
            // client dialling that name would refuse it. The old one is replaced; nothing else trusted its key.
            stored.Dispose();
        }

        PrivateFile.CreateDirectory(folder);
        using var created = CreateSelfSigned(options.CertificateNames, time);
        PrivateFile.WriteAllBytes(path, created.Export(X509ContentType.Pkcs12));
        PrivateFile.WriteAllText(Path.Combine(folder, "self-signed.crt"), created.ExportCertificatePem());
        return X509CertificateLoader.LoadPkcs12FromFile(path, password: null);
    }

    /// <summary>
    /// Writes the certificate without its key as PEM to <paramref name="path"/>, readable by everyone (0644: it is what
    /// clients are meant to trust); replaced whole, so a reader never sees half a file.
    /// </summary>
    public static void ExportPublic(X509Certificate2 certificate, string path)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var full = Path.GetFullPath(path);
        var temporary = full + ".tmp";
        File.WriteAllText(temporary, certificate.ExportCertificatePem());
        File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.Move(temporary, full, overwrite: true);
    }

    /// <summary>
    /// A self-signed server certificate for localhost, the loopback addresses, the machine name and
    /// <paramref name="extraNames"/> (host names or IP addresses), valid from a day ago for two years.
    /// </summary>
    public static X509Certificate2 CreateSelfSigned(IEnumerable<string> extraNames, TimeProvider time)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=datacake-streams (self-signed)", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        names.AddDnsName(Environment.MachineName);
        foreach (var name in extraNames.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (IPAddress.TryParse(name, out var address))
            {
                names.AddIpAddress(address);
            }
            else
            {
                names.AddDnsName(name);
            }
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));

        // A day back: a client whose clock is behind the host's still accepts it on the first day.
        var now = time.GetUtcNow();
        return request.CreateSelfSigned(now.AddDays(-1), now.AddYears(2));
    }

    /// <summary>Whether the certificate's subject alternative names hold every one of <paramref name="names"/>.</summary>
    public static bool CoversNames(X509Certificate2 certificate, IEnumerable<string> names)
    {
        // By OID and re-read: a certificate loaded from a file need not surface the typed extension.
        var raw = certificate.Extensions.Cast<X509Extension>().FirstOrDefault(e => e.Oid?.Value == "2.5.29.17");
        if (raw is null)
        {
            return !names.Any();
        }

        var extension = new X509SubjectAlternativeNameExtension(raw.RawData, raw.Critical);

        var dns = extension.EnumerateDnsNames().ToHashSet(StringComparer.OrdinalIgnoreCase);
        var addresses = extension.EnumerateIPAddresses().ToHashSet();
        return names.All(n => IPAddress.TryParse(n, out var address) ? addresses.Contains(address) : dns.Contains(n));
    }
}
