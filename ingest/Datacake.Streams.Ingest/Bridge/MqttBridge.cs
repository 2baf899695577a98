using Datacake.Streams.Access;
using Datacake.Streams.Ingest.Publishing;
using Datacake.Streams.RecordLog;
using Microsoft.Extensions.Logging;

namespace Datacake.Streams.Ingest.Bridge;

/// <summary>
/// One external broker bridge: waits until its token is valid in the registry view, connects with a persistent
/// session, subscribes, turns messages into raw records (acknowledged only once durable in the log), and reconnects
/// with backoff whenever the session ends.
/// </summary>
/// <remarks>
/// Nothing published while the bridge is away is lost as long as the broker keeps the session (QoS 1 or 2,
/// <see cref="BridgeDefinition.SessionExpiry"/>, and the broker's own queue limit: Mosquitto's
/// <c>max_queued_messages</c>, 1,000 by default, drops the excess). Each bridge must run on one node only: two
/// connections with one client id take the session from each other. The connections are
/// <see cref="BridgeSession"/>s of our own MQTT codec.
/// </remarks>
public sealed class MqttBridge : IAsyncDisposable
{
    // A session that lasted this long went well: the next failure starts the backoff again from its first step.
    private static readonly TimeSpan _healthySession = TimeSpan.FromSeconds(30);

    // A log line per dropped message would flood the log when a broad filter catches unrelated traffic.
    private static readonly TimeSpan _dropLogInterval = TimeSpan.FromMinutes(1);

    private readonly BridgeDefinition _definition;
    private readonly CancellationTokenSource _stop = new();
    private long _lastDropLog = long.MinValue;
    private int _disposed;
    private Task? _running;
    private volatile BridgeState _state = BridgeState.Created;

    public MqttBridge(BridgeDefinition definition, RawRecordAppender appender, RegistryView registry, TimeProvider time, ILogger<MqttBridge> logger)
    {
        ArgumentNullException.ThrowIfNull(definition);
        _definition = definition;
        Appender = appender ?? throw new ArgumentNullException(nameof(appender));
        Time = time ?? throw new ArgumentNullException(nameof(time));
        Logger = logger ?? throw new ArgumentNullException(nameof(logger));
        Translator = new BridgeTranslator(definition, registry);
        Counters = new BridgeCounters(definition.Name);
    }

    public string Name => _definition.Name;

    public BridgeState State => _state;

    public BridgeCounters Counters { get; }

    internal BridgeTranslator Translator { get; }

    internal RawRecordAppender Appender { get; }

    internal TimeProvider Time { get; }

    internal ILogger Logger { get; }

    /// <summary>Starts connecting (every connection of <see cref="BridgeDefinition.Connections"/>) in the background; returns at once.</summary>
    public void Start()
    {
        if (_running is not null)
        {
            throw new InvalidOperationException($"{_definition} is already started");
        }

        _running = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>Lets the appends in flight finish and be acknowledged, then disconnects, keeping the session on the broker.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (_running is not null)
        {
            await _running.ConfigureAwait(false);
        }

        _stop.Dispose();
        _state = BridgeState.Stopped;
    }

    internal void Dropped(string topic, BridgeVerdict verdict)
    {
        Counters.Count(verdict);
        var now = Time.GetTimestamp();
        var last = Interlocked.Read(ref _lastDropLog);
        if ((last == long.MinValue || Time.GetElapsedTime(last, now) >= _dropLogInterval)
            && Interlocked.CompareExchange(ref _lastDropLog, now, last) == last)
        {
            BridgeLog.Dropped(Logger, Name, topic, verdict, Counters.Dropped);
        }
    }

    private async Task RunAsync(CancellationToken stop)
    {
        BridgeTransport transport;
        try
        {
            transport = BridgeTransport.Load(_definition);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            BridgeLog.CannotStart(Logger, Name, ex.Message);
            _state = BridgeState.Failed;
            return;
        }

        // One loop per connection: each reconnects on its own, so one dropped connection does not stall the others.
        var connections = new Task[_definition.Connections];
        for (var i = 0; i < connections.Length; i++)
        {
            var index = i;
            connections[i] = Task.Run(() => RunConnectionAsync(transport, index, stop), CancellationToken.None);
        }

        await Task.WhenAll(connections).ConfigureAwait(false);
        _state = BridgeState.Stopped;
        BridgeLog.Stopped(Logger, Name);
    }

    private async Task RunConnectionAsync(BridgeTransport transport, int index, CancellationToken stop)
    {
        // Each connection backs off on its own: one refused connection does not delay the others' next attempts.
        var backoff = new ReconnectBackoff(_definition.ReconnectDelay, _definition.MaxReconnectDelay);
        var refusedStatus = AuthenticationResult.Ok;
        while (!stop.IsCancellationRequested)
        {
            var status = Translator.CheckCredential(Time.GetUtcNow(), out _);
            SessionEnd end;
            var started = Time.GetTimestamp();
            if (status != AuthenticationResult.Ok)
            {
                if (status != refusedStatus && index == 0)
                {
                    // At start-up the registry view may still be catching up: say it once per change, not per attempt.
                    BridgeLog.CredentialRefused(Logger, Name, Translator.Credential.ToHex()[..8], status);
                }

                refusedStatus = status;
                _state = BridgeState.WaitingForCredential;
                end = SessionEnd.CredentialRefused;
            }
            else
            {
                refusedStatus = AuthenticationResult.Ok;
                try
                {
                    end = await RunSessionAsync(transport, index, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception ex)
                {
                    BridgeLog.ConnectFailed(Logger, Name, _definition.Host, _definition.EffectivePort, ex.Message);
                    end = SessionEnd.Refused;
                }
            }

            if (stop.IsCancellationRequested)
            {
                break;
            }

            if (end == SessionEnd.ConnectionLost && Time.GetElapsedTime(started) >= _healthySession)
            {
                backoff.Reset();
            }

            var delay = backoff.Next();
            _state = status == AuthenticationResult.Ok ? BridgeState.Reconnecting : BridgeState.WaitingForCredential;

            // The wait is armed before it is announced: whoever acts on the line (a test advancing a fake clock, an
            // operator) finds the timer running, not yet to be created after the clock moved on.
            var waiting = Task.Delay(delay, Time, stop);
            if (status == AuthenticationResult.Ok)
            {
                BridgeLog.Reconnecting(Logger, Name, end, delay);
            }

            try
            {
                await waiting.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task<SessionEnd> RunSessionAsync(BridgeTransport transport, int index, CancellationToken stop)
    {
        _state = BridgeState.Connecting;
        var clientId = _definition.ClientIdOf(index);
        BridgeSession session;
        (byte Code, bool SessionPresent) connected;
        using (var timeout = new CancellationTokenSource(BridgeTransport.RequestTimeout, Time))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, timeout.Token))
        {
            session = await BridgeSession.OpenAsync(this, _definition, transport, linked.Token).ConfigureAwait(false);
            try
            {
                connected = await session.ConnectAsync(clientId, linked.Token).ConfigureAwait(false);
            }
            catch
            {
                await session.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        await using (session.ConfigureAwait(false))
        {
            if (connected.Code != 0)
            {
                BridgeLog.ConnectRefused(Logger, Name, connected.Code);
                return SessionEnd.Refused;
            }

            BridgeLog.Connected(Logger, Name, _definition.Host, _definition.EffectivePort, clientId, connected.SessionPresent);

            // The receive loop runs before SUBSCRIBE: a present session delivers its queued messages right after CONNACK.
            session.Start();
            if (!await SubscribeAsync(session, stop).ConfigureAwait(false))
            {
                await session.CloseAsync(SessionEnd.Refused).ConfigureAwait(false);
                return SessionEnd.Refused;
            }

            _state = BridgeState.Subscribed;
            Counters.CountSession();
            SessionEnd end;
            try
            {
                end = await session.Ended.WaitAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                end = SessionEnd.Stopped;
            }

            await session.CloseAsync(end).ConfigureAwait(false);
            return end;
        }
    }

    private async Task<bool> SubscribeAsync(BridgeSession session, CancellationToken stop)
    {
        var filters = _definition.SubscriptionsOf(Translator.Topics);
        byte[]? granted;
        using (var timeout = new CancellationTokenSource(BridgeTransport.RequestTimeout, Time))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, timeout.Token))
        {
            granted = await session.SubscribeAsync(filters, _definition.Qos, linked.Token).ConfigureAwait(false);
        }

        if (granted is null)
        {
            return false;
        }

        var ok = granted.Length == filters.Count;
        for (var i = 0; i < Math.Min(granted.Length, filters.Count); i++)
        {
            if (granted[i] >= 0x80)
            {
                BridgeLog.SubscribeRefused(Logger, Name, filters[i], granted[i]);
                ok = false;
            }
            else if (granted[i] < _definition.Qos)
            {
                BridgeLog.SubscribeDowngraded(Logger, Name, filters[i], granted[i]);
            }
        }

        if (ok)
        {
            BridgeLog.Subscribed(Logger, Name, string.Join(", ", filters));
        }

        return ok;
    }
}
