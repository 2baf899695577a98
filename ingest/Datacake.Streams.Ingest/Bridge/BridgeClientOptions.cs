using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using MQTTnet;
using MQTTnet.Formatter;

namespace Datacake.Streams.Ingest.Bridge;

/// <summary>
/// The MQTTnet client options of a bridge: a persistent session under a stable client id, credentials, and TLS that
/// trusts either the system store or exactly the CA file given.
/// </summary>
public static class BridgeClientOptions
{
    /// <summary>How long a CONNECT or SUBSCRIBE may take before the attempt counts as failed.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Reads the certificate files now: a missing or unreadable file fails here, not at every reconnect.</summary>
    /// <exception cref="IOException">A certificate file cannot be read.</exception>
    /// <exception cref="System.Security.Cryptography.CryptographicException">A certificate file is not a certificate.</exception>
    public static MqttClientOptions Build(BridgeDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(definition.Host, definition.EffectivePort)
            .WithClientId(definition.EffectiveClientId)
            .WithKeepAlivePeriod(definition.KeepAlive)
            .WithTimeout(RequestTimeout)

            // The session must outlive the connection: the broker then keeps our subscriptions and queues QoS 1/2
            // messages while we are away, and sends unacknowledged ones again when we are back.
            .WithCleanSession(false)
            .WithCleanStart(false);

        if (definition.Protocol == BridgeProtocol.V500)
        {
            builder
                .WithProtocolVersion(MqttProtocolVersion.V500)
                .WithSessionExpiryInterval((uint)Math.Min(uint.MaxValue, definition.SessionExpiry.TotalSeconds))
                .WithReceiveMaximum((ushort)definition.ReceiveMaximum);
        }
        else
        {
            builder.WithProtocolVersion(MqttProtocolVersion.V311);
        }

        if (!string.IsNullOrEmpty(definition.Username))
        {
            builder.WithCredentials(definition.Username, definition.Password ?? "");
        }

        if (definition.UseTls)
        {
            var roots = string.IsNullOrEmpty(definition.CaFile) ? null : LoadRoots(definition.CaFile);
            var clientCertificate = LoadClientCertificate(definition);
            builder.WithTlsOptions(tls =>
            {
                tls.UseTls();
                tls.WithTargetHost(definition.Host);
                if (roots is not null)
                {
                    tls.WithCertificateValidationHandler(e => IsIssuedBy(roots, e.Certificate, e.Chain, e.SslPolicyErrors));
                }

                if (clientCertificate is not null)
                {
                    tls.WithClientCertificates([clientCertificate]);
                }
            });
        }

        return builder.Build();
    }

    /// <summary>
    /// The broker's certificate chains up to one of <paramref name="roots"/> (and to nothing else) and names the host
    /// we dialled. Revocation is not checked: private CAs of the kind given as a file rarely publish revocation lists.
    /// </summary>
    public static bool IsIssuedBy(X509Certificate2Collection roots, X509Certificate? presented, X509Chain? presentedChain, SslPolicyErrors errors)
    {
        ArgumentNullException.ThrowIfNull(roots);
        if (presented is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presentedChain is not null)
        {
            foreach (var element in presentedChain.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        if (presented is X509Certificate2 certificate)
        {
            return chain.Build(certificate);
        }

        using var copy = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        return chain.Build(copy);
    }

    private static X509Certificate2Collection LoadRoots(string caFile)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(caFile);
        if (roots.Count == 0)
        {
            throw new System.Security.Cryptography.CryptographicException($"no certificate in {caFile}");
        }

        return roots;
    }

    private static X509Certificate2? LoadClientCertificate(BridgeDefinition definition)
    {
        if (string.IsNullOrEmpty(definition.ClientCertificateFile))
        {
            return null;
        }

        if (!string.IsNullOrEmpty(definition.ClientKeyFile))
        {
            using var pem = X509Certificate2.CreateFromPemFile(definition.ClientCertificateFile, definition.ClientKeyFile);

            // A PEM key is ephemeral; SslStream wants it in a PKCS#12 round trip on some platforms.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }

        return X509CertificateLoader.LoadPkcs12FromFile(definition.ClientCertificateFile, definition.ClientCertificatePassword);
    }
}
