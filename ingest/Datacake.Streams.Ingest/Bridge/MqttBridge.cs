using Datacake.Streams.Access;
using Datacake.Streams.Ingest.Publishing;
using Datacake.Streams.RecordLog;
using Microsoft.Extensions.Logging;
using MQTTnet;

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
/// connections with one client id take the session from each other.
/// </remarks>
public sealed class MqttBridge : IAsyncDisposable
{
    // A session that lasted this long went well: the next failure starts the backoff again from its first step.
    private static readonly TimeSpan _healthySession = TimeSpan.FromSeconds(30);

    // A log line per dropped message would flood the log when a broad filter catches unrelated traffic.
    private static readonly TimeSpan _dropLogInterval = TimeSpan.FromMinutes(1);

    private readonly BridgeDefinition _definition;
    private readonly MqttClientFactory _factory = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ReconnectBackoff _backoff;
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
        _backoff = new ReconnectBackoff(definition.ReconnectDelay, definition.MaxReconnectDelay);
    }

    public string Name => _definition.Name;

    public BridgeState State => _state;

    public BridgeCounters Counters { get; }

    internal BridgeTranslator Translator { get; }

    internal RawRecordAppender Appender { get; }

    internal TimeProvider Time { get; }

    internal ILogger Logger { get; }

    /// <summary>Starts connecting in the background; returns at once.</summary>
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
        MqttClientOptions options;
        try
        {
            options = BridgeClientOptions.Build(_definition);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            BridgeLog.CannotStart(Logger, Name, ex.Message);
            _state = BridgeState.Failed;
            return;
        }

        var refusedStatus = AuthenticationResult.Ok;
        while (!stop.IsCancellationRequested)
        {
            var status = Translator.CheckCredential(Time.GetUtcNow(), out _);
            SessionEnd end;
            var started = Time.GetTimestamp();
            if (status != AuthenticationResult.Ok)
            {
                if (status != refusedStatus)
                {
                    // At start-up the registry view may still be catching up: say it once per change, not per attempt.
                    BridgeLog.CredentialRefused(Logger, Name, Translator.Credential.ToHex()[..8], status);
                    refusedStatus = status;
                }

                _state = BridgeState.WaitingForCredential;
                end = SessionEnd.CredentialRefused;
            }
            else
            {
                refusedStatus = AuthenticationResult.Ok;
                try
                {
                    end = await RunSessionAsync(options, stop).ConfigureAwait(false);
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
                _backoff.Reset();
            }

            var delay = _backoff.Next();
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

        _state = BridgeState.Stopped;
        BridgeLog.Stopped(Logger, Name);
    }

    private async Task<SessionEnd> RunSessionAsync(MqttClientOptions options, CancellationToken stop)
    {
        using var client = _factory.CreateMqttClient();
        var connection = new BridgeConnection(this, Math.Max(64, _definition.ReceiveMaximum), _definition.Deduplicate);
        await using (connection.ConfigureAwait(false))
        {
            // Handlers before CONNECT: a present session delivers its queued messages right after CONNACK.
            client.ApplicationMessageReceivedAsync += connection.OnMessageAsync;
            client.DisconnectedAsync += connection.OnDisconnectedAsync;

            _state = BridgeState.Connecting;
            MqttClientConnectResult connected;
            using (var timeout = new CancellationTokenSource(BridgeClientOptions.RequestTimeout, Time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, timeout.Token))
            {
                // A refused CONNECT does not throw: the result code tells.
                connected = await client.ConnectAsync(options, linked.Token).ConfigureAwait(false);
            }

            if (connected.ResultCode != MqttClientConnectResultCode.Success)
            {
                BridgeLog.ConnectRefused(Logger, Name, connected.ResultCode, connected.ReasonString);
                return SessionEnd.Refused;
            }

            BridgeLog.Connected(Logger, Name, _definition.Host, _definition.EffectivePort, _definition.EffectiveClientId, connected.IsSessionPresent);
            if (!await SubscribeAsync(client, stop).ConfigureAwait(false))
            {
                await connection.CloseAsync(client, SessionEnd.Refused).ConfigureAwait(false);
                return SessionEnd.Refused;
            }

            _state = BridgeState.Subscribed;
            Counters.CountSession();
            SessionEnd end;
            try
            {
                end = await connection.Ended.WaitAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                end = SessionEnd.Stopped;
            }

            await connection.CloseAsync(client, end).ConfigureAwait(false);
            return end;
        }
    }

    private async Task<bool> SubscribeAsync(IMqttClient client, CancellationToken stop)
    {
        var qos = (MQTTnet.Protocol.MqttQualityOfServiceLevel)_definition.Qos;
        var builder = _factory.CreateSubscribeOptionsBuilder();
        foreach (var filter in Translator.Topics)
        {
            builder.WithTopicFilter(f => f.WithTopic(filter).WithQualityOfServiceLevel(qos));
        }

        MqttClientSubscribeResult result;
        using (var timeout = new CancellationTokenSource(BridgeClientOptions.RequestTimeout, Time))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, timeout.Token))
        {
            result = await client.SubscribeAsync(builder.Build(), linked.Token).ConfigureAwait(false);
        }

        var ok = true;
        foreach (var item in result.Items)
        {
            if (item.ResultCode > MqttClientSubscribeResultCode.GrantedQoS2)
            {
                BridgeLog.SubscribeRefused(Logger, Name, item.TopicFilter.Topic, item.ResultCode);
                ok = false;
            }
            else if ((int)item.ResultCode < _definition.Qos)
            {
                BridgeLog.SubscribeDowngraded(Logger, Name, item.TopicFilter.Topic, item.ResultCode);
            }
        }

        if (ok)
        {
            BridgeLog.Subscribed(Logger, Name, string.Join(", ", Translator.Topics));
        }

        return ok;
    }
}
