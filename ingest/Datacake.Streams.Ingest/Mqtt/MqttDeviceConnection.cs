using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Ingest.Mqtt.Wire;
using Datacake.Streams.RecordLog;
using Datacake.Streams.Records;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Datacake.Streams.Ingest.Mqtt;

/// <summary>
/// One TCP connection to the broker, from accept to close: its pipes, and once CONNECT was accepted the fingerprint of
/// the token it presented (nothing else of the token), its client id and its session. Only the connection's own
/// receive loop reads or writes its pipes; anything else that wants it closed (revocation, a takeover, keep-alive,
/// shutdown) calls <see cref="RequestClose"/>, and the loop says why on the wire and closes.
/// </summary>
internal sealed class MqttDeviceConnection(long serial, Socket socket, long acceptedAt)
{
    private const int NoReason = -1;
    private int _closeReason = NoReason;
    private PipeReader? _input;

    public long Serial { get; } = serial;

    public Socket Socket { get; } = socket;

    public EndPoint? Remote { get; } = socket.RemoteEndPoint;

    /// <summary>When the socket was accepted (<see cref="TimeProvider.GetTimestamp"/>); a CONNECT must come within the connect timeout.</summary>
    public long AcceptedAt { get; } = acceptedAt;

    /// <summary>When the last bytes arrived (<see cref="TimeProvider.GetTimestamp"/>): keep-alive is judged on it.</summary>
    public long LastReceived;

    /// <summary>The source address this socket is counted under while it has no accepted CONNECT; null once it is not.</summary>
    public IPAddress? PendingAddress;

    /// <summary>1 while the connection counts against its credential's open connections.</summary>
    public int CountsForCredential;

    /// <summary>Sweeps seen since a close was asked for; the sweep aborts a connection that stays open too long.</summary>
    public int SweepsWhileClosing;

    public PipeReader Input => _input ?? throw new InvalidOperationException("not attached");

    public PipeWriter Output { get; private set; } = null!;

    /// <summary>Completes once the connection is closed and forgotten.</summary>
    public TaskCompletionSource Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsAuthenticated { get; private set; }

    public string ClientId { get; private set; } = string.Empty;

    /// <summary>The credential-scoped id the session is kept by (<see cref="ClientIdScope.SessionId"/>).</summary>
    public string SessionId { get; private set; } = string.Empty;

    public TokenHash Fingerprint { get; private set; }

    public MqttProtocolVersion ProtocolVersion { get; private set; }

    public bool IsV5 => ProtocolVersion == MqttProtocolVersion.V500;

    public ushort KeepAliveSeconds { get; private set; }

    /// <summary>How long the session outlives this connection; MQTT 5's DISCONNECT may change it.</summary>
    public uint SessionExpirySeconds { get; set; }

    public string? WillTopic { get; private set; }

    public byte[]? WillPayload { get; private set; }

    /// <summary>The client said goodbye with DISCONNECT (and not MQTT 5's "with will"): no will is published.</summary>
    public bool DisconnectedCleanly { get; set; }

    /// <summary>The appends and refusals of the packets read in one go, answered in order once they are durable.</summary>
    public PendingPublish[] Pending { get; private set; } = new PendingPublish[16];

    public int PendingCount { get; set; }

    /// <summary>The time every publish of the current batch is received at (one clock read per read, not per message).</summary>
    public DateTimeOffset BatchTime { get; private set; }

    /// <summary>The credential's grant for the current batch, looked up at its first publish; null until then.</summary>
    public TokenGrant? BatchGrant;

    /// <summary>The device the current batch last published to, and whether the grant lets it write there.</summary>
    public DeviceId BatchDevice;

    public bool BatchDeviceWritable;

    /// <summary>Starts a batch: what was judged for the previous one is judged again.</summary>
    public void StartBatch(DateTimeOffset now)
    {
        BatchTime = now;
        BatchGrant = null;
        BatchDevice = default;
        BatchDeviceWritable = false;
    }

    /// <summary>Copies of packets that arrived split across buffer segments, returned to the pool after the batch.</summary>
    public List<byte[]> Rented { get; } = [];

    public void Attach(Stream stream)
    {
        // 16 KiB reads: ~200 typical publishes per read at most, each read one batch of appends and one flush of acks.
        // Zero-byte reads first (as Kestrel's sockets do): an idle device holds no buffer while it waits, so 10,000
        // quiet connections cost no 160 MiB of read buffers; a busy one pays one more syscall per batch.
        _input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, minimumReadSize: 4 * 1024, leaveOpen: true, useZeroByteReads: true));
        Output = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 4 * 1024, leaveOpen: true));
    }

    public void Authenticate(ConnectRequest connect, string clientId, string sessionId, TokenHash fingerprint)
    {
        ClientId = clientId;
        SessionId = sessionId;
        Fingerprint = fingerprint;
        ProtocolVersion = connect.Version;
        KeepAliveSeconds = connect.KeepAliveSeconds;
        SessionExpirySeconds = connect.SessionExpirySeconds;
        WillTopic = connect.WillTopic;
        WillPayload = connect.WillPayload;
        IsAuthenticated = true;
    }

    public void AddPending(in PendingPublish publish)
    {
        if (PendingCount == Pending.Length)
        {
            var larger = new PendingPublish[Pending.Length * 2];
            Pending.AsSpan().CopyTo(larger);
            Pending = larger;
        }

        Pending[PendingCount++] = publish;
    }

    /// <summary>Why the connection is to close, once someone asked; null while nobody has.</summary>
    public MqttDisconnectReasonCode? CloseReason
    {
        get
        {
            var reason = Volatile.Read(ref _closeReason);
            return reason == NoReason ? null : (MqttDisconnectReasonCode)reason;
        }
    }

    /// <summary>Asks the receive loop to close with <paramref name="reason"/> (the first reason asked for wins).</summary>
    public void RequestClose(MqttDisconnectReasonCode reason)
    {
        if (Interlocked.CompareExchange(ref _closeReason, (int)reason, NoReason) != NoReason)
        {
            return;
        }

        if (Volatile.Read(ref _input) is { } input)
        {
            input.CancelPendingRead();
        }
        else
        {
            Abort();
        }
    }

    /// <summary>Closes the socket under the loop: for a peer that stopped reading, or one that never sent CONNECT.</summary>
    public void Abort()
    {
        try
        {
            Socket.Close();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void ReturnRented()
    {
        foreach (var array in Rented)
        {
            ArrayPool<byte>.Shared.Return(array);
        }

        Rented.Clear();
    }
}

/// <summary>
/// One PUBLISH of a batch: the append handed to the log (or why there is none) and what to answer once it is durable.
/// The record stays for a QoS 1 or 2 append the log refused: it is retried while the acknowledgement waits.
/// </summary>
internal struct PendingPublish
{
    public ValueTask<LogPosition> Append;

    public RawRecord Record;

    public ushort PacketId;

    public byte Qos;

    /// <summary>Nonzero: refused with this MQTT 5 reason code, nothing appended.</summary>
    public byte Refusal;

    /// <summary>The log refused the append at once: no <see cref="Append"/> to wait for.</summary>
    public bool Unavailable;
}
