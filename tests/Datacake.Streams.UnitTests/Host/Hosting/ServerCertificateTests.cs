using System.Net;
using System.Security.Cryptography.X509Certificates;
using Datacake.Streams.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.UnitTests.Host.Hosting;

/// <summary>
/// The self-signed certificate names what clients dial: besides localhost, the configured names (compose's Grafana
/// dials https://api:8443), and a stored certificate without a newly configured name is made again.
/// </summary>
public sealed class ServerCertificateTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Self_signed_certificate_names_the_configured_hosts_and_addresses()
    {
        using var certificate = ServerCertificate.CreateSelfSigned(["api", "dcs.example.org", "10.0.0.7"], new FakeTimeProvider(Now));

        var names = SubjectAlternativeNames(certificate);
        Assert.Contains("api", names.Dns);
        Assert.Contains("dcs.example.org", names.Dns);
        Assert.Contains("localhost", names.Dns);
        Assert.Contains(IPAddress.Parse("10.0.0.7"), names.Addresses);
        Assert.Contains(IPAddress.Loopback, names.Addresses);
        Assert.DoesNotContain("10.0.0.7", names.Dns);
        Assert.Equal(Now.AddDays(-1).UtcDateTime, certificate.NotBefore.ToUniversalTime());
        Assert.True(ServerCertificate.CoversNames(certificate, ["api", "10.0.0.7"]));
        Assert.False(ServerCertificate.CoversNames(certificate, ["grafana"]));
    }

    [Fact]
    public void The_public_certificate_file_holds_the_certificate_without_its_key_readable_by_everyone()
    {
        var folder = Directory.CreateTempSubdirectory("dcs-public-cert-").FullName;
        try
        {
            using var certificate = ServerCertificate.CreateSelfSigned(["api"], new FakeTimeProvider(Now));
            var path = Path.Combine(folder, "api.crt");
            ServerCertificate.ExportPublic(certificate, path);
            ServerCertificate.ExportPublic(certificate, path);

            var text = File.ReadAllText(path);
            Assert.DoesNotContain("PRIVATE KEY", text, StringComparison.Ordinal);
            using var read = X509Certificate2.CreateFromPem(text);
            Assert.Equal(certificate.Thumbprint, read.Thumbprint);
            Assert.False(read.HasPrivateKey);
            Assert.Equal(
                UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                File.GetUnixFileMode(path));
            Assert.Equal(["api.crt"], Directory.GetFiles(folder).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Stored_certificate_is_made_again_when_a_name_is_added_and_kept_otherwise()
    {
        var data = Directory.CreateTempSubdirectory("dcs-cert-");
        try
        {
            var time = new FakeTimeProvider(Now);
            using var first = ServerCertificate.Load(new StreamsOptions { DataDirectory = data.FullName }, time);
            Assert.DoesNotContain("api", SubjectAlternativeNames(first).Dns);

            using var again = ServerCertificate.Load(new StreamsOptions { DataDirectory = data.FullName }, time);
            Assert.Equal(first.Thumbprint, again.Thumbprint);

            var withApi = new StreamsOptions { DataDirectory = data.FullName, CertificateNames = ["api"] };
            using var remade = ServerCertificate.Load(withApi, time);
            Assert.NotEqual(first.Thumbprint, remade.Thumbprint);
            Assert.Contains("api", SubjectAlternativeNames(remade).Dns);

            using var kept = ServerCertificate.Load(withApi, time);
            Assert.Equal(remade.Thumbprint, kept.Thumbprint);
        }
        finally
        {
            data.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("api", true)]
    [InlineData("10.0.0.7", true)]
    [InlineData("::1", true)]
    [InlineData("", false)]
    [InlineData("not a name", false)]
    [InlineData("https://api", false)]
    public void Validator_accepts_host_names_and_addresses_only(string name, bool valid)
    {
        var result = new StreamsOptionsValidator().Validate(null, new StreamsOptions { CertificateNames = [name] });
        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains("Streams:CertificateNames", result.FailureMessage, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Validator_refuses_names_beside_a_configured_certificate()
    {
        var file = Path.GetTempFileName();
        try
        {
            var result = new StreamsOptionsValidator().Validate(null, new StreamsOptions { CertificatePath = file, CertificateNames = ["api"] });
            Assert.True(result.Failed);
            Assert.Contains("Streams:CertificateNames", result.FailureMessage, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static (HashSet<string> Dns, HashSet<IPAddress> Addresses) SubjectAlternativeNames(X509Certificate2 certificate)
    {
        // Read from the encoded extension, as a TLS client does, not from what the builder was given.
        var raw = certificate.Extensions.Cast<X509Extension>().Single(e => e.Oid?.Value == "2.5.29.17");
        var extension = new X509SubjectAlternativeNameExtension(raw.RawData, raw.Critical);
        return (extension.EnumerateDnsNames().ToHashSet(StringComparer.Ordinal), extension.EnumerateIPAddresses().ToHashSet());
    }
}
