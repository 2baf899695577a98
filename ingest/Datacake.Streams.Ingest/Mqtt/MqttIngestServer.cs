using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using Datacake.Streams.Access;
using Datacake.Streams.EdgeAuth;
using Datacake.Streams.Ingest.Publishing;
using Datacake.Streams.Ingest.Quotas;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using MQTTnet.Server;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Ingest.Mqtt;

/// <summary>
/// The MQTT broker devices publish to (MQTTnet): MQTTS on <see cref="MqttIngestOptions.TlsEndpoint"/>, plain MQTT on
/// loopback only. CONNECT's password is a device or workspace token; a client publishes only to
/// <c>devices/{id}/measurements</c> of devices its token may write, and each publish becomes one raw record. Messages
/// are not routed to subscribers: the broker is an ingest point, not a message bus.
/// </summary>
/// <remarks>
/// MQTTnet handles one connection's packets one after another and sends a QoS 1 PUBACK after the publish interceptor
/// returns, so awaiting the durable append there is what holds the PUBACK back; one connection then carries about one
/// QoS 1 message per log commit (~2-3 ms), and throughput comes from many connections sharing each commit.
/// </remarks>
public sealed partial class MqttIngestServer(
    RegistryView registry,
    RawRecordAppender appender,
    IOptions<MqttIngestOptions> options,
    TimeProvider timeProvider,
    ILogger<MqttIngestServer> logger,
    FailedAuthenticationBudget failures,
    WorkspaceIngestQuota quota,
    IngestCertificateSource? certificate = null) : IHostedService, IAsyncDisposable
{
    private readonly MqttIngestOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, MqttDeviceConnection> _connections = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _qos0SlotFreed = new(0);
    private readonly MqttIngestCounters _counters = new();
    private MqttServer? _server;
    private Task _revocationSweep = Task.CompletedTask;

    /// <summary>The plain loopback endpoint, when one is listening.</summary>
    public IPEndPoint? PlainEndpoint { get; private set; }

    /// <summary>The MQTTS endpoint, when one is listening.</summary>
    public IPEndPoint? TlsEndpoint { get; private set; }

    /// <summary>Connections authenticated and not yet closed.</summary>
    public int SessionCount => _connections.Count;

    /// <summary>QoS 0 messages dropped because the log was unavailable (best effort: counted, not retried).</summary>
    public long DroppedQos0 => _counters.DroppedQos0;

    /// <summary>What became of the PUBLISH packets handled so far; accepted means durable.</summary>
    public MqttIngestCounters Counters => _counters;

    /// <summary>QoS 0 appends handed to the log and not yet durable (or refused).</summary>
    public int PendingQos0 => Volatile.Read(ref _pendingQos0);

    private int _pendingQos0;
    private long _connectionSerial;
    private int _qos0SlotWaiters;
    private TaskCompletionSource? _qos0Drained;
    private int _disposed;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
        {
            return;
        }

        var builder = new MqttServerOptionsBuilder();
        if (MqttIngestOptions.TryParseEndpoint(_options.PlainEndpoint, out var plain))
        {
            // Validated at start-up; checked again here because this is the promise "plain only on loopback".
            if (!IPAddress.IsLoopback(plain.Address))
            {
                throw new InvalidOperationException($"plain MQTT is only allowed on loopback, not {plain}");
            }

            // MQTTnet opens an IPv6 socket on [::] beside the configured IPv4 address unless told otherwise, which
            // would put plain MQTT on every interface: bind exactly the configured address, one family.
            builder.WithDefaultEndpoint()
                .WithDefaultEndpointBoundIPAddress(OfFamily(plain.Address, AddressFamily.InterNetwork))
                .WithDefaultEndpointBoundIPV6Address(OfFamily(plain.Address, AddressFamily.InterNetworkV6))
                .WithDefaultEndpointPort(plain.Port);
            PlainEndpoint = plain;
        }
        else
        {
            builder.WithoutDefaultEndpoint();
        }

        var tlsText = _options.TlsEndpoint ?? (certificate is not null ? MqttIngestOptions.DefaultTlsEndpoint : null);
        if (certificate is not null && MqttIngestOptions.TryParseEndpoint(tlsText, out var tls))
        {
            builder.WithEncryptedEndpoint()
                .WithEncryptedEndpointBoundIPAddress(OfFamily(tls.Address, AddressFamily.InterNetwork))
                .WithEncryptedEndpointBoundIPV6Address(OfFamily(tls.Address, AddressFamily.InterNetworkV6))
                .WithEncryptedEndpointPort(tls.Port)
                .WithEncryptionCertificate(certificate.Certificate)
                .WithEncryptionSslProtocol(SslProtocols.Tls12 | SslProtocols.Tls13);
            TlsEndpoint = tls;
        }

        if (PlainEndpoint is null && TlsEndpoint is null)
        {
            logger.LogInformation("MQTT ingest has no listener configured");
            return;
        }

        var server = new MqttServerFactory().CreateMqttServer(builder.Build());
        server.ValidatingConnectionAsync += ValidateConnectionAsync;
        server.InterceptingInboundPacketAsync += InspectInboundPacketAsync;
        server.InterceptingPublishAsync += InterceptPublishAsync;
        server.InterceptingSubscriptionAsync += InterceptSubscriptionAsync;
        server.ClientDisconnectedAsync += ForgetConnectionAsync;
        await server.StartAsync().ConfigureAwait(false);
        _server = server;
        _revocationSweep = SweepRevokedConnectionsAsync(_stopping.Token);
        logger.LogInformation("MQTT ingest listening: plain {Plain}, TLS {Tls}", PlainEndpoint, TlsEndpoint);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _disposed, 0, 0) != 0)
        {
            return;
        }

        // The broker first, while connections waiting for a QoS 0 slot can still get one (the log is open until the
        // host disposes it after every hosted service stopped); then the sweep and whatever still waits.
        if (_server is { } server)
        {
            _server = null;
            await server.StopAsync().ConfigureAwait(false);
            server.Dispose();
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _revocationSweep.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

        // A clean stop loses no QoS 0 message the broker took: wait until every append handed to the log is durable
        // (one group commit, a few ms) before the host goes on to close the log, and count each as accepted.
        var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Exchange, not a plain write: a full fence, so that either this sees the last decrement or that release sees this.
        Interlocked.Exchange(ref _qos0Drained, drained);
        if (Volatile.Read(ref _pendingQos0) == 0)
        {
            drained.TrySetResult();
        }

        // Bounded like a held QoS 1 PUBACK: a log that takes longer than UnavailableHold is not waited for.
        await drained.Task.WaitAsync(_options.UnavailableHold, timeProvider, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);

        // Registered as itself and as a hosted service: the container may dispose it twice.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopping.Dispose();
        _qos0SlotFreed.Dispose();
    }

    private Task ValidateConnectionAsync(ValidatingConnectionEventArgs e)
    {
        var password = EdgeCredentials.FromMqttPassword(e.Password);

        // Format and checksum first: garbage never costs a hash and a lookup. The user name is free (devices put anything).
        var fingerprint = password.IsWellFormed ? password.Hash() : default;
        if (!password.IsWellFormed || registry.AuthenticateFingerprint(fingerprint, timeProvider.GetUtcNow(), out _) != AuthenticationResult.Ok)
        {
            // Only failures spend the budget, per address and client: a valid token is never refused for others' failures.
            var client = (e.RemoteEndPoint as IPEndPoint)?.Address;
            e.ReasonCode = failures.TrySpend(client, FailureScope.MqttClient(e.UserName, password), out _)
                ? MqttConnectReasonCode.BadUserNameOrPassword
                : MqttConnectReasonCode.ConnectionRateExceeded;
            return Task.CompletedTask;
        }

        var protocol = e.ProtocolVersion;
        var outcome = ClientIdScope.Resolve(e.ClientId, protocol, e.CleanSession ?? true, out var clientId);
        if (outcome == ClientIdOutcome.Refused)
        {
            // 3.1.1: 0x02 "identifier rejected".
            e.ReasonCode = MqttConnectReasonCode.ClientIdentifierNotValid;
            return Task.CompletedTask;
        }

        if (outcome == ClientIdOutcome.Assigned && protocol == MqttProtocolVersion.V500)
        {
            // Told to the client in CONNACK; 3.1.1 has no field for it.
            e.AssignedClientIdentifier = clientId;
        }

        var key = "c" + Interlocked.Increment(ref _connectionSerial).ToString(CultureInfo.InvariantCulture);
        var connection = new MqttDeviceConnection(key, clientId, ClientIdScope.SessionId(fingerprint, clientId), fingerprint, protocol, e.RemoteEndPoint);
        ConnectPacketRewrite.Apply(e, connection.SessionId, key);
        _connections[key] = connection;
        return Task.CompletedTask;
    }

    /// <summary>The connection a packet arrived on, by the key its CONNECT user name carries.</summary>
    private MqttDeviceConnection? ConnectionOf(string? userName) =>
        userName is not null && _connections.TryGetValue(userName, out var connection) ? connection : null;

    private Task ForgetConnectionAsync(ClientDisconnectedEventArgs e)
    {
        // Raised once per connection, a taken-over one included, with that connection's own user name.
        if (e.UserName is { } key)
        {
            _connections.TryRemove(key, out _);
        }

        return Task.CompletedTask;
    }

    private async Task SweepRevokedConnectionsAsync(CancellationToken cancellationToken)
    {
        // Expiry moves with the clock, not with the registry's version: every connection is checked on every tick.
        using var timer = new PeriodicTimer(_options.RevocationCheckInterval, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var now = timeProvider.GetUtcNow();
                foreach (var connection in _connections.Values)
                {
                    if (registry.AuthenticateFingerprint(connection.Fingerprint, now, out _) != AuthenticationResult.Ok)
                    {
                        StartDisconnect(connection, MqttDisconnectReasonCode.NotAuthorized);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Closes a connection without waiting: called from MQTTnet's own receive loop, which must not wait on itself.</summary>
    /// <remarks>
    /// MQTTnet disconnects by session id, i.e. whichever connection currently holds it. A takeover in between can only
    /// come from the same credential (the id is scoped by it): a revocation rightly closes that one as well, and a
    /// refusal aimed at the old connection, which is closing anyway, at worst makes the device reconnect once more.
    /// </remarks>
    private void StartDisconnect(MqttDeviceConnection connection, MqttDisconnectReasonCode reason)
    {
        if (Interlocked.Exchange(ref connection.Closing, 1) != 0 || _server is not { } server)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await server.DisconnectClientAsync(connection.SessionId, new MqttServerClientDisconnectOptions { ReasonCode = reason }).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is InvalidOperationException or ObjectDisposedException or OperationCanceledException)
            {
                // Already gone.
            }
            finally
            {
                _connections.TryRemove(new KeyValuePair<string, MqttDeviceConnection>(connection.Key, connection));
            }
        });
    }

    /// <summary>
    /// The address for one family's socket: the configured one if it is of that family, "any" of the family when the
    /// configured address is "any" (0.0.0.0 or [::] mean every interface), else none (MQTTnet opens no socket).
    /// </summary>
    internal static IPAddress OfFamily(IPAddress configured, AddressFamily family) =>
        configured.AddressFamily == family ? configured
        : configured.Equals(IPAddress.Any) || configured.Equals(IPAddress.IPv6Any) ? (family == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any)
        : IPAddress.None;
}
