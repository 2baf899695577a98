using System.Threading.Channels;
using Datacake.Streams.Ingest.Publishing;
using MQTTnet;

namespace Datacake.Streams.Ingest.Bridge;

/// <summary>
/// One broker session of a bridge: appends each message as it arrives (several appends in flight, so a commit
/// interval of the log does not cap the rate at one message per commit) and acknowledges them strictly in arrival order
/// (MQTT 4.6: PUBACKs go out in the order the PUBLISHes came), each only after its append is durable.
/// </summary>
/// <remarks>
/// The first refused append ends the session: neither that message nor any later one is acknowledged, the bridge
/// disconnects, and the broker sends them all again in the next session (MQTT sends unacknowledged messages again
/// only on a new connection, never within one). Later messages that were appended anyway come again with the same
/// content key, for the processors' deduplication. A new MQTTnet client is made per session, so an acknowledgement
/// can never reach a later connection, whose packet ids mean other messages.
/// </remarks>
internal sealed class BridgeConnection : IAsyncDisposable
{
    // Time a shutdown gives the appends in flight to become durable and be acknowledged; the rest comes again.
    private static readonly TimeSpan _drainTimeout = TimeSpan.FromSeconds(5);

    private readonly MqttBridge _bridge;
    private readonly Channel<PendingAck> _pending;
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource<SessionEnd> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ContentKey? _contentKey;
    private readonly Task _acknowledging;
    private volatile bool _closing;

    public BridgeConnection(MqttBridge bridge, int capacity, bool deduplicate)
    {
        _bridge = bridge;

        // Bounded: QoS 0 has no receive maximum, and a full queue must slow the broker down, not grow the heap.
        _pending = Channel.CreateBounded<PendingAck>(new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true });
        _contentKey = deduplicate ? new ContentKey() : null;
        _acknowledging = Task.Run(AcknowledgeInOrderAsync);
    }

    /// <summary>Completes with the reason the session must end (the broker dropped us, the log refused, the token went bad).</summary>
    public Task<SessionEnd> Ended => _ended.Task;

    /// <summary>MQTTnet's handler: called for one message at a time, in arrival order.</summary>
    public async Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        // Always manual: MQTTnet must never acknowledge on our behalf.
        e.AutoAcknowledge = false;
        if (_closing)
        {
            // Not acknowledged: the broker sends it again in the next session.
            return;
        }

        try
        {
            var message = e.ApplicationMessage;
            var verdict = _bridge.Translator.Translate(message.Topic, message.Payload, _bridge.Time.GetUtcNow(), _contentKey, out var record);
            if (verdict == BridgeVerdict.CredentialRefused)
            {
                _bridge.Counters.Count(verdict);
                End(SessionEnd.CredentialRefused);
                return;
            }

            Task<AppendOutcome>? append = null;
            if (verdict == BridgeVerdict.Accepted)
            {
                append = Append(record);
            }
            else
            {
                _bridge.Dropped(message.Topic, verdict);
            }

            await _pending.Writer.WriteAsync(new PendingAck(e, append), _abort.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            // The session is closing: the message stays unacknowledged and comes again.
        }
        catch (Exception ex)
        {
            BridgeLog.HandlingFailed(_bridge.Logger, _bridge.Name, ex);
            End(SessionEnd.ConnectionLost);
        }
    }

    /// <summary>MQTTnet's handler for a lost (or closed) connection; why it was lost matters not: the next session follows.</summary>
    public Task OnDisconnectedAsync(MqttClientDisconnectedEventArgs disconnected)
    {
        ArgumentNullException.ThrowIfNull(disconnected);
        End(SessionEnd.ConnectionLost);
        return Task.CompletedTask;
    }

    public void End(SessionEnd reason)
    {
        _closing = true;
        _ended.TrySetResult(reason);
    }

    /// <summary>
    /// Stops taking messages; on a shutdown lets the appends in flight finish and be acknowledged first; then sends a
    /// DISCONNECT that keeps the session on the broker.
    /// </summary>
    public async Task CloseAsync(IMqttClient client, SessionEnd reason)
    {
        _closing = true;
        _pending.Writer.TryComplete();
        if (reason == SessionEnd.Stopped)
        {
            try
            {
                await _acknowledging.WaitAsync(_drainTimeout, _bridge.Time).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // What is left comes again in the next session.
            }
        }

        await _abort.CancelAsync().ConfigureAwait(false);
        await _acknowledging.ConfigureAwait(false);
        if (client.IsConnected)
        {
            try
            {
                using var timeout = new CancellationTokenSource(BridgeClientOptions.RequestTimeout, _bridge.Time);
                var disconnect = new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build();
                await client.DisconnectAsync(disconnect, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // The connection is gone either way; the broker keeps the session all the same.
                BridgeLog.DisconnectFailed(_bridge.Logger, _bridge.Name, ex.Message);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _closing = true;
        _pending.Writer.TryComplete();
        await _abort.CancelAsync().ConfigureAwait(false);
        await _acknowledging.ConfigureAwait(false);
        _abort.Dispose();
        _contentKey?.Dispose();
    }

    private Task<AppendOutcome> Append(in Records.RawRecord record)
    {
        try
        {
            return _bridge.Appender.AppendAsync(record, CancellationToken.None).AsTask();
        }
        catch (Exception ex)
        {
            return Task.FromException<AppendOutcome>(ex);
        }
    }

    private async Task AcknowledgeInOrderAsync()
    {
        try
        {
            await foreach (var pending in _pending.Reader.ReadAllAsync(_abort.Token).ConfigureAwait(false))
            {
                var appended = false;
                if (pending.Append is { } append)
                {
                    AppendOutcome outcome;
                    string? error = null;
                    try
                    {
                        outcome = await append.WaitAsync(_abort.Token).ConfigureAwait(false);
                    }
                    catch (ArgumentOutOfRangeException ex)
                    {
                        // The log's own record limit (the configured payload limit keeps below it): a message that can never
                        // be stored is dropped like an oversize one, or it would come back forever.
                        _bridge.Dropped(pending.Message.ApplicationMessage.Topic, BridgeVerdict.PayloadTooLarge);
                        outcome = AppendOutcome.Durable;
                        error = ex.Message;
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        outcome = AppendOutcome.Unavailable;
                        error = ex.Message;
                    }

                    if (outcome == AppendOutcome.Unavailable)
                    {
                        _bridge.Counters.CountLogUnavailable();
                        BridgeLog.LogUnavailable(_bridge.Logger, _bridge.Name, error ?? "unavailable");
                        End(SessionEnd.LogUnavailable);
                        return;
                    }

                    appended = error is null;
                }

                try
                {
                    await pending.Message.AcknowledgeAsync(_abort.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    End(SessionEnd.ConnectionLost);
                    return;
                }

                if (appended)
                {
                    _bridge.Counters.Count(BridgeVerdict.Accepted);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Closing: what was not acknowledged comes again.
        }
    }

    private readonly record struct PendingAck(MqttApplicationMessageReceivedEventArgs Message, Task<AppendOutcome>? Append);
}
