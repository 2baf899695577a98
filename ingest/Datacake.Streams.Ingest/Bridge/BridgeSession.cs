using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;
using Datacake.Streams.Ingest.Mqtt.Wire;
using Datacake.Streams.RecordLog;

namespace Datacake.Streams.Ingest.Bridge;

/// <summary>
/// One connection of a bridge to its broker, spoken with the MQTT codec our own broker uses (<c>Mqtt/Wire</c>): the
/// packets of one read are handled in order, each accepted message handed to the log without waiting, the batch's
/// appends waited for once, and their acknowledgements (PUBACK for QoS 1, PUBREC for QoS 2) written in the messages'
/// order (MQTT 4.6) in one flush once durable.
/// </summary>
/// <remarks>
/// <para>Why not a general MQTT client: MQTTnet's client cost the bridge ~80 µs of CPU per message, one task, several
/// objects and one socket write per acknowledgement (docs/BENCHMARKS.md, issue 21); this is the broker's receive loop
/// turned around.</para>
/// <para>The first refused append ends the session: neither that message nor any later one is acknowledged, and the
/// broker sends them again on the next connection (it never does within one). Later messages that were appended
/// anyway come again with the same content key, for the processors' deduplication. A session is one connection: an
/// acknowledgement can never reach a later one, whose packet ids mean other messages.</para>
/// </remarks>
internal sealed class BridgeSession : IAsyncDisposable
{
    // Time a shutdown gives the batch in flight to become durable and be acknowledged; the rest comes again.
    private static readonly TimeSpan _drainTimeout = TimeSpan.FromSeconds(5);

    private readonly MqttBridge _bridge;
    private readonly BridgeDefinition _definition;
    private readonly Stream _stream;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly bool _v5;
    private readonly ContentKey? _contentKey;

    // A topic (up to 64 KiB) and MQTT 5 properties come on top of the payload; a larger publish is skipped unread.
    private readonly int _maxPacket;

    // The receive loop's acknowledgements and the keep-alive's PINGREQ share the output.
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<SessionEnd> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<PendingAck> _pending = [];
    private TaskCompletionSource<byte[]>? _subscribed;
    private Task _receiving = Task.CompletedTask;
    private Task _keepingAlive = Task.CompletedTask;
    private long _lastReceived;

    // An oversized publish streaming past: bytes still to discard, and its acknowledgement once they are gone.
    private int _skipRemaining;
    private PendingAck _skipped;

    // Devices publish on the same few topics again and again: the last one's string is kept.
    private byte[] _lastTopicBytes = [];
    private string _lastTopic = string.Empty;

    private BridgeSession(MqttBridge bridge, BridgeDefinition definition, Stream stream)
    {
        _bridge = bridge;
        _definition = definition;
        _stream = stream;
        _v5 = definition.Protocol == BridgeProtocol.V500;
        _contentKey = definition.Deduplicate ? new ContentKey() : null;
        _maxPacket = definition.MaxPayloadBytes + (64 * 1024) + 16;

        // 64 KiB reads: a broker sending a backlog after a reconnect fills them, and each read is one batch.
        _input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 8 * 1024, leaveOpen: true));
        _output = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 4 * 1024, leaveOpen: true));
    }

    /// <summary>Completes with the reason the session must end (the broker dropped us, the log refused, the token went bad).</summary>
    public Task<SessionEnd> Ended => _ended.Task;

    /// <summary>Connects the transport; the session speaks nothing yet.</summary>
    public static async Task<BridgeSession> OpenAsync(MqttBridge bridge, BridgeDefinition definition, BridgeTransport transport, CancellationToken cancellationToken)
    {
        var stream = await transport.ConnectAsync(cancellationToken).ConfigureAwait(false);
        return new BridgeSession(bridge, definition, stream);
    }

    /// <summary>
    /// Sends CONNECT and reads CONNACK: its code (0: accepted) and whether the broker still had our session. Messages
    /// the broker sends right after CONNACK stay in the pipe for the receive loop.
    /// </summary>
    /// <exception cref="IOException">The connection ended or the broker answered something else.</exception>
    public async Task<(byte Code, bool SessionPresent)> ConnectAsync(string clientId, CancellationToken cancellationToken)
    {
        var expiry = (uint)Math.Min(uint.MaxValue, _definition.SessionExpiry.TotalSeconds);
        var keepAlive = (ushort)Math.Min(ushort.MaxValue, _definition.KeepAlive.TotalSeconds);
        MqttClientPackets.Connect(_output, _v5, clientId, keepAlive, _definition.Username, _definition.Password, expiry, (ushort)Math.Clamp(_definition.ReceiveMaximum, 1, ushort.MaxValue));
        await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var read = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = read.Buffer;
            var status = MqttFrame.TryRead(ref buffer, 64 * 1024, out var header, out var body);
            if (status == FrameStatus.Complete)
            {
                var ok = MqttClientPackets.TryParseConnAck(header, body.IsSingleSegment ? body.FirstSpan : body.ToArray(), _v5, out var sessionPresent, out var code);

                // Only what CONNACK took is consumed: publishes behind it are read again by the receive loop.
                _input.AdvanceTo(buffer.Start);
                return ok ? (code, sessionPresent) : throw new IOException("the broker answered CONNECT with something other than CONNACK");
            }

            if (status != FrameStatus.Incomplete || read.IsCompleted)
            {
                throw new IOException("the broker closed the connection or sent garbage instead of CONNACK");
            }

            _input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Starts the receive loop and the keep-alive after an accepted CONNECT.</summary>
    public void Start()
    {
        Volatile.Write(ref _lastReceived, _bridge.Time.GetTimestamp());
        _receiving = Task.Run(ReceiveAsync);
        _keepingAlive = KeepAliveAsync(_stop.Token);
    }

    /// <summary>
    /// Subscribes every filter; the granted codes in the order asked, or null when the session ended first. Messages
    /// arriving before SUBACK (a present session's queue) are handled as they come.
    /// </summary>
    public async Task<byte[]?> SubscribeAsync(IReadOnlyList<string> filters, int qos, CancellationToken cancellationToken)
    {
        var subscribed = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _subscribed, subscribed);
        await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            MqttClientPackets.Subscribe(_output, _v5, packetId: 1, filters, qos);
            await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writing.Release();
        }

        var first = await Task.WhenAny(subscribed.Task, _ended.Task).WaitAsync(cancellationToken).ConfigureAwait(false);
        return first == subscribed.Task ? subscribed.Task.Result : null;
    }

    public void End(SessionEnd reason) => _ended.TrySetResult(reason);

    /// <summary>
    /// Stops reading; the batch in flight is finished (on a shutdown: given time to become durable and be acknowledged);
    /// then a DISCONNECT that keeps the session on the broker, unless the connection is gone already.
    /// </summary>
    public async Task CloseAsync(SessionEnd reason)
    {
        End(reason);
        _input.CancelPendingRead();
        try
        {
            await _receiving.WaitAsync(_drainTimeout, _bridge.Time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // What is left comes again in the next session.
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (reason != SessionEnd.ConnectionLost && _receiving.IsCompleted)
        {
            try
            {
                using var timeout = new CancellationTokenSource(BridgeTransport.RequestTimeout, _bridge.Time);
                await _writing.WaitAsync(timeout.Token).ConfigureAwait(false);
                try
                {
                    MqttClientPackets.Disconnect(_output);
                    await _output.FlushAsync(timeout.Token).ConfigureAwait(false);
                }
                finally
                {
                    _writing.Release();
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // The connection is gone either way; the broker keeps the session all the same.
                BridgeLog.DisconnectFailed(_bridge.Logger, _bridge.Name, ex.Message);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        End(SessionEnd.Stopped);
        await _stop.CancelAsync().ConfigureAwait(false);

        // Closing the stream ends a receive loop still waiting on a batch's read.
        await _stream.DisposeAsync().ConfigureAwait(false);
        // Both loops catch what ends them: they never fault.
        await Task.WhenAll(_receiving, _keepingAlive).ConfigureAwait(false);
        await _input.CompleteAsync().ConfigureAwait(false);
        await _output.CompleteAsync().ConfigureAwait(false);
        _stop.Dispose();
        _writing.Dispose();
        _contentKey?.Dispose();
    }

    private async Task ReceiveAsync()
    {
        try
        {
            while (true)
            {
                var read = await _input.ReadAsync().ConfigureAwait(false);
                if (read.IsCanceled)
                {
                    return;
                }

                var buffer = read.Buffer;
                Volatile.Write(ref _lastReceived, _bridge.Time.GetTimestamp());
                var receivedAt = _bridge.Time.GetUtcNow();
                var end = HandleRead(ref buffer, receivedAt);
                if (_pending.Count > 0)
                {
                    end = await CompleteBatchAsync().ConfigureAwait(false) ?? end;
                }

                _input.AdvanceTo(buffer.Start, buffer.End);
                if (end is { } reason)
                {
                    End(reason);
                    return;
                }

                if (read.IsCompleted)
                {
                    End(SessionEnd.ConnectionLost);
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            End(SessionEnd.ConnectionLost);
        }
        catch (Exception ex)
        {
            BridgeLog.HandlingFailed(_bridge.Logger, _bridge.Name, ex);
            End(SessionEnd.ConnectionLost);
        }
    }

    /// <summary>Every whole packet of one read, in order; a reason to end the session, or null to go on.</summary>
    private SessionEnd? HandleRead(ref ReadOnlySequence<byte> buffer, DateTimeOffset receivedAt)
    {
        while (!buffer.IsEmpty)
        {
            if (_skipRemaining > 0)
            {
                var discard = (int)Math.Min(buffer.Length, _skipRemaining);
                buffer = buffer.Slice(discard);
                _skipRemaining -= discard;
                if (_skipRemaining == 0 && _skipped.AckType != 0)
                {
                    _pending.Add(_skipped);
                }

                continue;
            }

            var status = MqttFrame.TryRead(ref buffer, _maxPacket, out var header, out var body);
            switch (status)
            {
                case FrameStatus.Incomplete:
                    return null;
                case FrameStatus.Malformed:
                    return SessionEnd.ConnectionLost;
                case FrameStatus.TooLarge:
                    if (!TrySkipOversized(buffer, out var broken))
                    {
                        return broken ? SessionEnd.ConnectionLost : null;
                    }

                    continue;
            }

            if (Handle(header, body, receivedAt) is { } end)
            {
                return end;
            }
        }

        return null;
    }

    private SessionEnd? Handle(byte header, in ReadOnlySequence<byte> body, DateTimeOffset receivedAt)
    {
        var type = (MqttPacketType)(header >> 4);
        if (type == MqttPacketType.Publish)
        {
            return Publish(header, body, receivedAt);
        }

        var span = body.IsSingleSegment ? body.FirstSpan : body.ToArray();
        switch (type)
        {
            case MqttPacketType.PubRel when header == 0x62 && span.Length >= 2:
                // QoS 2's second step: the message was stored at PUBLISH; PUBCOMP goes out in its place among the answers.
                _pending.Add(new PendingAck { AckType = MqttPacketType.PubComp, PacketId = BinaryPrimitives.ReadUInt16BigEndian(span) });
                return null;
            case MqttPacketType.SubAck:
                if (!MqttClientPackets.TryParseSubAck(header, span, _v5, out _, out var codes))
                {
                    return SessionEnd.ConnectionLost;
                }

                Volatile.Read(ref _subscribed)?.TrySetResult(codes.ToArray());
                return null;
            case MqttPacketType.PingResp:
                return null;
            default:
                // The broker's DISCONNECT (MQTT 5), or a packet a broker never sends a subscriber: the session is over.
                return SessionEnd.ConnectionLost;
        }
    }

    private SessionEnd? Publish(byte header, in ReadOnlySequence<byte> body, DateTimeOffset receivedAt)
    {
        // Appended from the pipe's own memory (the log copies it before the append returns); a packet split across
        // segments is copied once.
        var packet = body.IsSingleSegment ? body.First : body.ToArray();
        if (!PublishPacket.TryParse(header, packet.Span, _v5, out var publish, out _))
        {
            return SessionEnd.ConnectionLost;
        }

        var topic = TopicOf(publish.Topic);
        var ackType = AckTypeOf(publish.Qos);
        var translator = _bridge.Translator;
        var verdict = translator.Translate(topic, packet[publish.PayloadOffset..], receivedAt, _contentKey, out var record);
        if (verdict == BridgeVerdict.CredentialRefused)
        {
            // Not acknowledged, nor anything after it: the broker keeps them until the token is good again.
            _bridge.Counters.Count(verdict);
            return SessionEnd.CredentialRefused;
        }

        var pending = new PendingAck { AckType = ackType, PacketId = publish.PacketId, Topic = topic };
        if (verdict == BridgeVerdict.Accepted)
        {
            try
            {
                pending.Append = _bridge.Appender.StartAppend(record, CancellationToken.None);
                pending.Appended = true;
            }
            catch (RecordLogUnavailableException)
            {
                pending.Unavailable = true;
            }
            catch (ArgumentOutOfRangeException)
            {
                // The log's own record limit (the configured payload limit keeps below it): a message that can never be
                // stored is dropped like an oversize one, or it would come back forever.
                _bridge.Dropped(topic, BridgeVerdict.PayloadTooLarge);
            }
        }
        else
        {
            _bridge.Dropped(topic, verdict);
        }

        _pending.Add(pending);
        return null;
    }

    /// <summary>
    /// A publish larger than any payload the bridge takes: dropped as it streams past (counted, acknowledged once its
    /// last byte is gone) instead of buffered. False when its topic and packet id have not arrived yet (read more), or
    /// with <paramref name="broken"/> when it is no publish at all.
    /// </summary>
    private bool TrySkipOversized(in ReadOnlySequence<byte> buffer, out bool broken)
    {
        broken = false;
        _ = MqttFrame.TryReadFixedHeader(buffer, out var header, out var length, out var headerLength);
        if ((MqttPacketType)(header >> 4) != MqttPacketType.Publish)
        {
            broken = true;
            return false;
        }

        var qos = (header >> 1) & 0x03;
        Span<byte> lengthBytes = stackalloc byte[2];
        if (buffer.Length < headerLength + 2)
        {
            return false;
        }

        buffer.Slice(headerLength, 2).CopyTo(lengthBytes);
        var topicLength = BinaryPrimitives.ReadUInt16BigEndian(lengthBytes);
        var prefix = headerLength + 2 + topicLength + (qos > 0 ? 2 : 0);
        if (buffer.Length < prefix)
        {
            return false;
        }

        var start = buffer.Slice(headerLength, prefix - headerLength).ToArray();
        var topic = Encoding.UTF8.GetString(start, 2, topicLength);
        var packetId = qos > 0 ? BinaryPrimitives.ReadUInt16BigEndian(start.AsSpan(2 + topicLength)) : (ushort)0;
        _bridge.Dropped(topic, BridgeVerdict.PayloadTooLarge);
        _skipped = new PendingAck { AckType = AckTypeOf(qos), PacketId = packetId };
        _skipRemaining = headerLength + length;
        return true;
    }

    /// <summary>
    /// Waits for the batch's appends in order, then writes the acknowledgements of every message up to the first the
    /// log refused, and flushes once. The end of the session when an append was refused, else null.
    /// </summary>
    private async Task<SessionEnd?> CompleteBatchAsync()
    {
        SessionEnd? end = null;
        var acknowledged = 0;
        var accepted = 0;
        for (var i = 0; i < _pending.Count; i++)
        {
            var pending = _pending[i];
            var unavailable = pending.Unavailable;
            if (pending.Appended)
            {
                try
                {
                    _ = await pending.Append.ConfigureAwait(false);
                }
                catch (ArgumentOutOfRangeException)
                {
                    _bridge.Dropped(pending.Topic ?? string.Empty, BridgeVerdict.PayloadTooLarge);
                    pending.Appended = false;
                }
                catch (Exception ex) when (ex is RecordLogUnavailableException or OperationCanceledException)
                {
                    unavailable = true;
                }
            }

            if (end is not null)
            {
                // Later appends are still waited for: they may be stored, and come again under the same content key.
                continue;
            }

            if (unavailable)
            {
                _bridge.Counters.CountLogUnavailable();
                BridgeLog.LogUnavailable(_bridge.Logger, _bridge.Name, "unavailable");
                end = SessionEnd.LogUnavailable;
                continue;
            }

            _pending[i] = pending;
            acknowledged = i + 1;
        }

        await _writing.WaitAsync().ConfigureAwait(false);
        try
        {
            for (var i = 0; i < acknowledged; i++)
            {
                var pending = _pending[i];
                if (pending.AckType != 0)
                {
                    MqttReplies.Acknowledge(_output, pending.AckType, pending.PacketId);
                }

                if (pending.Appended)
                {
                    accepted++;
                }
            }

            if (_output.UnflushedBytes > 0)
            {
                await _output.FlushAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _writing.Release();
        }

        _bridge.Counters.CountAccepted(accepted);
        _pending.Clear();
        return end;
    }

    /// <summary>
    /// PINGREQ every keep-alive period; a broker silent for two periods (no PINGRESP, nothing else) is gone, and the
    /// connection is closed so that the receive loop ends.
    /// </summary>
    private async Task KeepAliveAsync(CancellationToken stop)
    {
        var period = _definition.KeepAlive;
        if (period <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            using var timer = new PeriodicTimer(period, _bridge.Time);
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                if (_bridge.Time.GetElapsedTime(Volatile.Read(ref _lastReceived)) > period * 2)
                {
                    End(SessionEnd.ConnectionLost);
                    await _stream.DisposeAsync().ConfigureAwait(false);
                    return;
                }

                await _writing.WaitAsync(stop).ConfigureAwait(false);
                try
                {
                    MqttClientPackets.PingReq(_output);
                    await _output.FlushAsync(stop).ConfigureAwait(false);
                }
                finally
                {
                    _writing.Release();
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // Stopped, or the connection is gone: the receive loop says so.
        }
    }

    private string TopicOf(ReadOnlySpan<byte> topic)
    {
        if (!topic.SequenceEqual(_lastTopicBytes))
        {
            _lastTopicBytes = topic.ToArray();
            _lastTopic = Encoding.UTF8.GetString(topic);
        }

        return _lastTopic;
    }

    private static MqttPacketType AckTypeOf(int qos) => qos switch
    {
        1 => MqttPacketType.PubAck,
        2 => MqttPacketType.PubRec,
        _ => 0,
    };

    private struct PendingAck
    {
        public ValueTask<LogPosition> Append;

        /// <summary>An append was started: wait for it, count it once acknowledged.</summary>
        public bool Appended;

        /// <summary>The log refused at once: nothing to wait for, and nothing from here on is acknowledged.</summary>
        public bool Unavailable;

        /// <summary>PUBACK, PUBREC or PUBCOMP; 0 for QoS 0, which has none.</summary>
        public MqttPacketType AckType;

        public ushort PacketId;

        /// <summary>For the drop count of a record the log finds too large only once it is waited for.</summary>
        public string? Topic;
    }
}
