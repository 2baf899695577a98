using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Datacake.Streams.Access;
using Datacake.Streams.EdgeAuth;
using Datacake.Streams.Ingest.Publishing;
using Datacake.Streams.Ingest.Quotas;
using MQTTnet.Protocol;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Ingest.Mqtt;

/// <summary>
/// The MQTT broker devices publish to, MQTT 3.1.1 and 5 on sockets of its own: MQTTS on
/// <see cref="MqttIngestOptions.TlsEndpoint"/>, plain MQTT on loopback only. CONNECT's password is a device or workspace
/// token; a client publishes only to <c>devices/{id}/measurements</c> of devices its token may write, and each publish
/// becomes one raw record. Messages are not routed to subscribers: the broker is an ingest point, not a message bus.
/// </summary>
/// <remarks>
/// Why not MQTTnet's server (used until issue 21): it handles one connection's packets one after another and sends a
/// QoS 1 PUBACK only once the publish interceptor returns, with a task, event args and message objects per publish;
/// the host spent ~105 µs of CPU per message there. Here a connection's receive loop parses every packet that arrived
/// in one read in place from the pipe, hands each publish to the log (the log's group commit makes them durable
/// together), waits once for the batch, and writes all its PUBACKs in one flush: no task, no object and no syscall per
/// message.
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

    /// <summary>Every open socket, CONNECT or not: the sweep closes those that never authenticate.</summary>
    private readonly ConcurrentDictionary<long, MqttDeviceConnection> _live = new();

    /// <summary>Connections whose CONNECT was accepted and that are not closed yet.</summary>
    private readonly ConcurrentDictionary<long, MqttDeviceConnection> _connections = new();
    private readonly MqttSessions _sessions = new(timeProvider, options.Value.MaxKeptSessionsPerCredential);

    /// <summary>Sockets without an accepted CONNECT, per source address (capped: one address cannot take every descriptor).</summary>
    private readonly ConnectionCounter<IPAddress> _pendingByAddress = new(options.Value.MaxPendingConnectionsPerAddress);

    /// <summary>Accepted connections per credential (capped: one token cannot take every descriptor).</summary>
    private readonly ConnectionCounter<TokenHash> _openByCredential = new(options.Value.MaxConnectionsPerCredential);
    private readonly CancellationTokenSource _stopping = new();
    private readonly MqttIngestCounters _counters = new();
    private readonly List<Socket> _listeners = [];
    private readonly List<Task> _acceptLoops = [];
    private Task _sweep = Task.CompletedTask;

    /// <summary>Sweeps a connection asked to close may stay open: 10 × 500 ms, the default QoS 1 hold of 5 s.</summary>
    private const int AbortAfterSweeps = 10;
    private long _connectionSerial;
    private int _pendingQos0;
    private int _stopped;
    private int _disposed;

    /// <summary>The plain loopback endpoint, when one is listening.</summary>
    public IPEndPoint? PlainEndpoint { get; private set; }

    /// <summary>The MQTTS endpoint, when one is listening.</summary>
    public IPEndPoint? TlsEndpoint { get; private set; }

    /// <summary>Connections authenticated and not yet closed.</summary>
    public int SessionCount => _connections.Count;

    /// <summary>Sessions without a connection kept for <paramref name="credential"/> (capped per credential).</summary>
    internal int KeptSessionsOf(TokenHash credential) => _sessions.KeptBy(credential);

    /// <summary>QoS 0 messages dropped because the log was unavailable (best effort: counted, not retried).</summary>
    public long DroppedQos0 => _counters.DroppedQos0;

    /// <summary>What became of the PUBLISH packets handled so far; accepted means durable.</summary>
    public MqttIngestCounters Counters => _counters;

    /// <summary>QoS 0 appends handed to the log and not yet durable (or refused).</summary>
    public int PendingQos0 => Volatile.Read(ref _pendingQos0);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
        {
            return Task.CompletedTask;
        }

        if (MqttIngestOptions.TryParseEndpoint(_options.PlainEndpoint, out var plain))
        {
            // Validated at start-up; checked again here because this is the promise "plain only on loopback".
            if (!IPAddress.IsLoopback(plain.Address))
            {
                throw new InvalidOperationException($"plain MQTT is only allowed on loopback, not {plain}");
            }

            PlainEndpoint = Listen(plain, tls: false);
        }

        var tlsText = _options.TlsEndpoint ?? (certificate is not null ? MqttIngestOptions.DefaultTlsEndpoint : null);
        if (certificate is not null && MqttIngestOptions.TryParseEndpoint(tlsText, out var tls))
        {
            // Loaded (or made) now: a certificate that cannot be read fails the start, not the first device's handshake.
            _ = certificate.Certificate;
            TlsEndpoint = Listen(tls, tls: true);
        }

        if (PlainEndpoint is null && TlsEndpoint is null)
        {
            logger.LogInformation("MQTT ingest has no listener configured");
            return Task.CompletedTask;
        }

        _sweep = SweepAsync(_stopping.Token);
        logger.LogInformation("MQTT ingest listening: plain {Plain}, TLS {Tls}", PlainEndpoint, TlsEndpoint);
        return Task.CompletedTask;
    }

    /// <summary>Binds exactly the configured address, one family (no dual-stack socket that would widen it).</summary>
    private IPEndPoint Listen(IPEndPoint endpoint, bool tls)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endpoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = false;
            }

            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(endpoint);
            socket.Listen(512);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        _listeners.Add(socket);
        _acceptLoops.Add(AcceptAsync(socket, tls, _stopping.Token));
        return (IPEndPoint)socket.LocalEndPoint!;
    }

    private async Task AcceptAsync(Socket listener, bool tls, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    return;
                }

                continue;
            }

            // Over its address's cap: closed before a byte is read or anything is kept for it.
            var address = (socket.RemoteEndPoint as IPEndPoint)?.Address;
            if (address is not null && !_pendingByAddress.TryAdd(address))
            {
                _counters.RefusedAtAccept();
                socket.Dispose();
                continue;
            }

            // PUBACKs are small and latency is the point of them: no Nagle delay.
            socket.NoDelay = true;
            var connection = new MqttDeviceConnection(Interlocked.Increment(ref _connectionSerial), socket, timeProvider.GetTimestamp())
            {
                PendingAddress = address,
            };
            _live[connection.Serial] = connection;
            _ = RunAsync(connection, tls);
        }
    }

    private async Task RunAsync(MqttDeviceConnection connection, bool tls)
    {
        Stream? stream = null;
        try
        {
            stream = new NetworkStream(connection.Socket, ownsSocket: true);
            if (tls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                using var handshake = new CancellationTokenSource(_options.ConnectTimeout, timeProvider);
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = certificate!.Certificate,
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                }, handshake.Token).ConfigureAwait(false);
            }

            connection.Attach(stream);
            if (await AcceptConnectAsync(connection).ConfigureAwait(false))
            {
                await ReceiveAsync(connection).ConfigureAwait(false);
            }
        }
        catch (Exception exception) when (exception is IOException or SocketException or ObjectDisposedException or OperationCanceledException or AuthenticationException)
        {
            // The peer went away, or its TLS handshake failed or took too long: nothing to answer.
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "MQTT connection {Serial} failed", connection.Serial);
        }
        finally
        {
            await EndAsync(connection, stream).ConfigureAwait(false);
        }
    }

    /// <summary>Forgets a closed connection: its session lives on for its expiry, its will is published if it vanished.</summary>
    private async Task EndAsync(MqttDeviceConnection connection, Stream? stream)
    {
        try
        {
            LeavePending(connection);
            if (Interlocked.Exchange(ref connection.CountsForCredential, 0) == 1)
            {
                _openByCredential.Release(connection.Fingerprint);
            }

            if (connection.IsAuthenticated)
            {
                _connections.TryRemove(connection.Serial, out _);
                _sessions.Release(connection, connection.SessionExpirySeconds);
                if (!connection.DisconnectedCleanly)
                {
                    PublishWill(connection);
                }
            }

            connection.ReturnRented();
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                connection.Socket.Dispose();
            }
        }
        catch (Exception exception) when (exception is IOException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            _live.TryRemove(connection.Serial, out _);
            connection.Closed.TrySetResult();
        }
    }

    /// <summary>The socket no longer counts as pending for its address: its CONNECT was accepted, or it closed.</summary>
    private void LeavePending(MqttDeviceConnection connection)
    {
        if (Interlocked.Exchange(ref connection.PendingAddress, null) is { } address)
        {
            _pendingByAddress.Release(address);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        // Listeners first, then every connection is told the server shuts down; each finishes the batch it read, so
        // every QoS 0 message the broker took is durable and counted before this returns (the log is open until the
        // host disposes it after every hosted service stopped).
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var listener in _listeners)
        {
            listener.Dispose();
        }

        await Task.WhenAll(_acceptLoops).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var open = _live.Values.ToList();
        foreach (var connection in open)
        {
            connection.RequestClose(MqttDisconnectReasonCode.ServerShuttingDown);
        }

        // Bounded like a held QoS 1 PUBACK: a log that takes longer than UnavailableHold is not waited for.
        var closed = Task.WhenAll(open.Select(c => c.Closed.Task));
        await closed.WaitAsync(_options.UnavailableHold + TimeSpan.FromSeconds(1), timeProvider, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var connection in open)
        {
            connection.Abort();
        }

        await _sweep.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
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
    }

    /// <summary>
    /// Every <see cref="MqttIngestOptions.RevocationCheckInterval"/>: closes connections whose token no longer
    /// authenticates (expiry moves with the clock, not with the registry's version, so every connection on every tick),
    /// whose keep-alive ran out (1.5 times the interval, MQTT-3.1.2-24), or that sent no CONNECT in time; and forgets
    /// expired sessions. One timer for all connections instead of one per connection or per read.
    /// </summary>
    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.RevocationCheckInterval, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var now = timeProvider.GetUtcNow();
                var timestamp = timeProvider.GetTimestamp();
                foreach (var connection in _live.Values)
                {
                    if (connection.CloseReason is not null)
                    {
                        // Asked to close and still open: its peer stopped reading our DISCONNECT, or an append holds it.
                        if (++connection.SweepsWhileClosing > AbortAfterSweeps)
                        {
                            connection.Abort();
                        }
                    }
                    else if (!connection.IsAuthenticated)
                    {
                        if (timeProvider.GetElapsedTime(connection.AcceptedAt, timestamp) > _options.ConnectTimeout)
                        {
                            connection.Abort();
                        }
                    }
                    else if (registry.AuthenticateFingerprint(connection.Fingerprint, now, out _) != AuthenticationResult.Ok)
                    {
                        connection.RequestClose(MqttDisconnectReasonCode.NotAuthorized);
                    }
                    else if (connection.KeepAliveSeconds > 0
                        && timeProvider.GetElapsedTime(Volatile.Read(ref connection.LastReceived), timestamp) > TimeSpan.FromSeconds(connection.KeepAliveSeconds * 1.5))
                    {
                        connection.RequestClose(MqttDisconnectReasonCode.KeepAliveTimeout);
                    }
                }

                _sessions.RemoveExpired();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
