using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Datacake.Streams.Ingest.Bridge;

/// <summary>
/// How a bridge reaches its broker: TCP to the host and port, and TLS that trusts either the system store or exactly
/// the CA file given, with a client certificate for brokers that want one. The certificate files are read once, when
/// the bridge starts: a missing or unreadable file fails there, not at every reconnect.
/// </summary>
public sealed class BridgeTransport
{
    /// <summary>How long connecting, CONNECT or SUBSCRIBE may take before the attempt counts as failed.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private readonly BridgeDefinition _definition;
    private readonly X509Certificate2Collection? _roots;
    private readonly X509Certificate2? _clientCertificate;

    private BridgeTransport(BridgeDefinition definition, X509Certificate2Collection? roots, X509Certificate2? clientCertificate)
    {
        _definition = definition;
        _roots = roots;
        _clientCertificate = clientCertificate;
    }

    /// <summary>Reads the certificate files now.</summary>
    /// <exception cref="IOException">A certificate file cannot be read.</exception>
    /// <exception cref="System.Security.Cryptography.CryptographicException">A certificate file is not a certificate.</exception>
    public static BridgeTransport Load(BridgeDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        if (!definition.UseTls)
        {
            return new BridgeTransport(definition, null, null);
        }

        var roots = string.IsNullOrEmpty(definition.CaFile) ? null : LoadRoots(definition.CaFile);
        return new BridgeTransport(definition, roots, LoadClientCertificate(definition));
    }

    /// <summary>A connected stream to the broker, TLS already negotiated when the bridge uses it.</summary>
    public async Task<Stream> ConnectAsync(CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(_definition.Host, _definition.EffectivePort, cancellationToken).ConfigureAwait(false);
            var network = new NetworkStream(socket, ownsSocket: true);
            if (!_definition.UseTls)
            {
                return network;
            }

            var tls = new SslStream(network, leaveInnerStreamOpen: false);
            try
            {
                var options = new SslClientAuthenticationOptions
                {
                    TargetHost = _definition.Host,
                    RemoteCertificateValidationCallback = _roots is null
                        ? null
                        : (_, certificate, chain, errors) => IsIssuedBy(_roots, certificate, chain, errors),
                    ClientCertificates = _clientCertificate is null ? null : new X509CertificateCollection { _clientCertificate },
                };
                await tls.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
                return tls;
            }
            catch
            {
                await tls.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }
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
