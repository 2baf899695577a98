using System.Net.Sockets;
using Datacake.Streams.LoadGen.Mqtt;

namespace Datacake.Streams.LoadGen.EndToEnd;

/// <summary>
/// One device connection on a raw socket, publishing numbered points from a PUBLISH encoded once
/// (<see cref="PublishTemplate"/>): a sender fills a batch of copies (packet id and payload slots only) and writes it
/// with one send; for QoS 1 at most <c>window</c> publishes await their PUBACK, which a receive loop parses in place.
/// Sending as fast as acknowledged (QoS 1, not paced), the receive loop itself refills the window it just freed, so a
/// read of PUBACKs costs one send and no hop to another task; paced or at QoS 0 a sender loop of its own sends. No
/// allocation per message, so the load tool costs a fraction of what it measures.
/// </summary>
internal sealed class RawMqttDevice : IAsyncDisposable
{
    // Far above any run's idle gap (delivery waits, a slow check): no PINGREQ has to share the send side.
    private const ushort KeepAliveSeconds = ushort.MaxValue;

    private readonly Socket _socket;
    private readonly PublishTemplate _template;
    private readonly int _qos;
    private readonly int _window;
    private readonly int _batch;
    private readonly byte[] _sendBuffer;
    private readonly byte[] _receiveBuffer = new byte[64 * 1024];
    private readonly SemaphoreSlim _slots;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _sendGate = new(1, 1);

    // Packet ids 1.._seqById.Length-1, twice the window so that a late PUBACK never meets its id reused.
    private readonly long[] _seqById;
    private readonly bool[] _inUse;
    private int _nextId;
    private int _inFlight;
    private bool _closed;
    private AckedRanges? _acks;
    private long _runFirst;
    private int _runCount;
    private Task _receiving = Task.CompletedTask;
    private ClosedLoop? _closedLoop;

    private RawMqttDevice(Socket socket, PublishTemplate template, int qos, int window, int batch)
    {
        _socket = socket;
        _template = template;
        _qos = qos;
        _window = window;
        _batch = batch;
        _sendBuffer = new byte[template.Length * batch];
        template.Fill(_sendBuffer, batch);
        _slots = new SemaphoreSlim(window, window);
        _seqById = new long[Math.Min(ushort.MaxValue, 2 * window) + 1];
        _inUse = new bool[_seqById.Length];
    }

    /// <summary>Opens the connection, sends CONNECT and waits for a CONNACK that accepts it (else throws).</summary>
    public static async Task<RawMqttDevice> ConnectAsync(
        string host, int port, MqttVersion version, string clientId, string? token, string topic, int qos, int window, int batch,
        CancellationToken cancellationToken)
    {
        if (window is < 1 or > short.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(window), window, "1 to 32,767 publishes in flight");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, cancellationToken);
            var connect = MqttCodec.EncodeConnect(version, clientId, token is null ? null : "bench", token, KeepAliveSeconds);
            await SendAllAsync(socket, connect, cancellationToken);
            var template = new PublishTemplate(version, qos, topic, NumberedPayloadTemplate.Template);
            var device = new RawMqttDevice(socket, template, qos, window, qos == 0 ? batch : Math.Min(batch, window));
            await device.ReadConnAckAsync(cancellationToken);
            device._receiving = Task.Run(device.ReceiveAsync, CancellationToken.None);
            return device;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Publishes numbers of <paramref name="sequence"/> until it is exhausted, then waits for every PUBACK. Batches
    /// are logged in <paramref name="sends"/> as they begin; acknowledged numbers (a PUBACK below 0x80, or at QoS 0 a
    /// completed send) go to <paramref name="acks"/>, refused or unanswered ones count as failed.
    /// </summary>
    public async Task PublishAsync(SequenceSource sequence, long baseMs, SendLog sends, AckedRanges acks, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _acks = acks;
        }

        try
        {
            var closedLoop = _qos > 0 && !sequence.Paced;
            if (closedLoop)
            {
                // The receive loop refills from here on; this waits until the numbers are all taken.
                var loop = new ClosedLoop(sequence, baseMs, sends);
                Volatile.Write(ref _closedLoop, loop);
                await RefillAsync(loop);
                await loop.Exhausted.Task.WaitAsync(cancellationToken);
                Volatile.Write(ref _closedLoop, null);
            }

            while (!closedLoop && !Volatile.Read(ref _closed))
            {
                var want = _batch;
                if (_qos > 0)
                {
                    await _slots.WaitAsync(cancellationToken);
                    want = 1;
                    while (want < _batch && _slots.Wait(0))
                    {
                        want++;
                    }
                }

                // Partial: a paced run sends what is released now rather than wait for a whole batch.
                var claim = await sequence.ClaimAsync(want, cancellationToken, partial: true);
                if (_qos > 0 && claim.Count < want)
                {
                    _slots.Release(want - claim.Count);
                }

                if (claim.Count == 0)
                {
                    break;
                }

                if (!Prepare(claim, baseMs))
                {
                    break;
                }

                sends.Begin(claim.Count);
                try
                {
                    await SendAllAsync(_socket, _sendBuffer.AsMemory(0, claim.Count * _template.Length), cancellationToken);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    Close();
                    if (_qos == 0)
                    {
                        acks.Fail(claim.Count);
                    }

                    break;
                }

                if (_qos == 0)
                {
                    acks.Add(claim.First, claim.Count);
                }
            }

            // Every slot back = no publish of this run awaits its PUBACK (a closed connection gives them back failed).
            for (var i = 0; i < _window && _qos > 0; i++)
            {
                await _slots.WaitAsync(cancellationToken);
            }

            if (_qos > 0)
            {
                _slots.Release(_window);
            }
        }
        finally
        {
            lock (_gate)
            {
                FlushAckRun();
                _acks = null;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!Volatile.Read(ref _closed))
            {
                await SendAllAsync(_socket, MqttCodec.EncodeDisconnect(), CancellationToken.None);
            }

            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already gone: nothing to say goodbye to.
        }

        _socket.Dispose();
        await _receiving;
        _slots.Dispose();
        _sendGate.Dispose();
    }

    /// <summary>
    /// Takes every free slot of the window (up to a batch), claims as many numbers and sends them in one write; again
    /// while slots are free. Sets <see cref="ClosedLoop.Exhausted"/> when the numbers are all taken or the connection
    /// is gone. The send gate keeps the first fill and the receive loop's refills apart (one batch buffer).
    /// </summary>
    private async ValueTask RefillAsync(ClosedLoop loop)
    {
        await _sendGate.WaitAsync();
        try
        {
            while (!loop.Exhausted.Task.IsCompleted)
            {
                var want = 0;
                while (want < _batch && _slots.Wait(0))
                {
                    want++;
                }

                if (want == 0)
                {
                    return;
                }

                var claim = await loop.Sequence.ClaimAsync(want, CancellationToken.None);
                if (claim.Count < want)
                {
                    _slots.Release(want - claim.Count);
                }

                if (claim.Count == 0 || !Prepare(claim, loop.BaseMs))
                {
                    loop.Exhausted.TrySetResult();
                    return;
                }

                loop.Sends.Begin(claim.Count);
                try
                {
                    await SendAllAsync(_socket, _sendBuffer.AsMemory(0, claim.Count * _template.Length), CancellationToken.None);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    Close();
                    loop.Exhausted.TrySetResult();
                }
            }
        }
        finally
        {
            _sendGate.Release();
        }
    }

    private static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        while (!bytes.IsEmpty)
        {
            var sent = await socket.SendAsync(bytes, SocketFlags.None, cancellationToken);
            bytes = bytes[sent..];
        }
    }

    /// <summary>Writes the claimed numbers into the batch buffer and registers their packet ids; false if the connection is closed.</summary>
    private bool Prepare(Claim claim, long baseMs)
    {
        var buffer = _sendBuffer.AsSpan();
        lock (_gate)
        {
            if (_closed)
            {
                _acks?.Fail(claim.Count);
                if (_qos > 0)
                {
                    _slots.Release(claim.Count);
                }

                return false;
            }

            for (var i = 0; i < claim.Count; i++)
            {
                var packet = buffer.Slice(i * _template.Length, _template.Length);
                var seq = claim.First + i;
                if (_qos > 0)
                {
                    var id = NextFreeId();
                    _seqById[id] = seq;
                    _inUse[id] = true;
                    _inFlight++;
                    _template.SetPacketId(packet, (ushort)id);
                }

                NumberedPayloadTemplate.Write(_template.Payload(packet), baseMs, seq);
            }
        }

        return true;
    }

    private int NextFreeId()
    {
        // At most _window of the 2 × _window ids are in use, so this finds one within _window + 1 steps.
        do
        {
            _nextId = (_nextId % (_seqById.Length - 1)) + 1;
        }
        while (_inUse[_nextId]);

        return _nextId;
    }

    private async Task ReadConnAckAsync(CancellationToken cancellationToken)
    {
        var filled = 0;
        while (true)
        {
            var read = await _socket.ReceiveAsync(_receiveBuffer.AsMemory(filled), SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                throw new InvalidOperationException("the broker closed the connection before CONNACK");
            }

            filled += read;
            if (MqttCodec.TryReadPacket(_receiveBuffer.AsSpan(0, filled), out var type, out var body, out var size))
            {
                if (type != MqttCodec.ConnAck)
                {
                    throw new InvalidOperationException($"expected CONNACK, got packet type {type}");
                }

                var code = MqttCodec.ConnAckCode(body);
                if (code != 0)
                {
                    throw new InvalidOperationException($"MQTT connect refused: code 0x{code:x2}");
                }

                if (filled > size)
                {
                    throw new InvalidOperationException("the broker sent packets before CONNACK was acted on");
                }

                return;
            }
        }
    }

    private async Task ReceiveAsync()
    {
        var filled = 0;
        try
        {
            while (true)
            {
                var read = await _socket.ReceiveAsync(_receiveBuffer.AsMemory(filled), SocketFlags.None);
                if (read == 0)
                {
                    break;
                }

                filled += read;
                var consumed = Consume(_receiveBuffer.AsSpan(0, filled));
                if (consumed < 0)
                {
                    break;
                }

                // The start of a packet that did not arrive whole moves to the front for the next read.
                _receiveBuffer.AsSpan(consumed, filled - consumed).CopyTo(_receiveBuffer);
                filled -= consumed;
                if (Volatile.Read(ref _closedLoop) is { } loop)
                {
                    await RefillAsync(loop);
                }

                if (filled == _receiveBuffer.Length)
                {
                    break; // a packet larger than the buffer: not one this device expects
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidDataException)
        {
            // The connection is gone; what was in flight is failed below.
        }

        Close();
    }

    /// <summary>Parses every whole packet of <paramref name="data"/>; returns the bytes consumed, or -1 on DISCONNECT.</summary>
    private int Consume(ReadOnlySpan<byte> data)
    {
        int at = 0, freed = 0, acknowledged = 0;
        var disconnected = false;
        lock (_gate)
        {
            while (MqttCodec.TryReadPacket(data[at..], out var type, out var body, out var size))
            {
                at += size;
                if (type == MqttCodec.PubAck && MqttCodec.TryReadPubAck(body, out var id, out var reason) && id < _inUse.Length && _inUse[id])
                {
                    _inUse[id] = false;
                    _inFlight--;
                    freed++;
                    if (reason < 0x80)
                    {
                        Acknowledge(_seqById[id]);
                        acknowledged++;
                    }
                    else
                    {
                        _acks?.Fail(1);
                    }
                }
                else if (type == MqttCodec.Disconnect)
                {
                    disconnected = true;
                    break;
                }
            }

            _acks?.Count(acknowledged);
        }

        if (freed > 0)
        {
            _slots.Release(freed);
        }

        return disconnected ? -1 : at;
    }

    /// <summary>Extends the run of consecutive acknowledged numbers, or hands the run to the run's ranges and starts another.</summary>
    private void Acknowledge(long seq)
    {
        if (_runCount > 0 && seq == _runFirst + _runCount && _runCount < int.MaxValue)
        {
            _runCount++;
            return;
        }

        FlushAckRun();
        _runFirst = seq;
        _runCount = 1;
    }

    private void FlushAckRun()
    {
        if (_runCount > 0)
        {
            _acks?.AddRange(_runFirst, _runCount); // counted as they came (Consume)
            _runCount = 0;
        }
    }

    /// <summary>Marks the connection closed and fails every publish still awaiting its PUBACK.</summary>
    private void Close()
    {
        int failed;
        lock (_gate)
        {
            _closed = true;
            failed = _inFlight;
            Array.Clear(_inUse);
            _inFlight = 0;
            _acks?.Fail(failed);
        }

        if (failed > 0)
        {
            _slots.Release(failed);
        }

        // A closed loop waiting for its numbers to run out stops here: the other connections take the rest.
        Volatile.Read(ref _closedLoop)?.Exhausted.TrySetResult();
    }

    /// <summary>A run sending as fast as acknowledged: what the receive loop needs to refill the window.</summary>
    private sealed class ClosedLoop(SequenceSource sequence, long baseMs, SendLog sends)
    {
        public SequenceSource Sequence { get; } = sequence;

        public long BaseMs { get; } = baseMs;

        public SendLog Sends { get; } = sends;

        public TaskCompletionSource Exhausted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
