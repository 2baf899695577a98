using System.Diagnostics.Metrics;

namespace Datacake.Streams.Ingest.Bridge;

/// <summary>
/// What one bridge has done since it started, for tests, logs and a future status API; every change is also counted
/// on the meter <c>Datacake.Streams.Ingest.Bridge</c> (instrument <c>messages</c>, tags bridge and outcome).
/// </summary>
public sealed class BridgeCounters
{
    public const string MeterName = "Datacake.Streams.Ingest.Bridge";

    private static readonly Meter _meter = new(MeterName);
    private static readonly Counter<long> _messages = _meter.CreateCounter<long>("messages", description: "bridged MQTT messages by outcome");
    private static readonly Counter<long> _sessions = _meter.CreateCounter<long>("sessions", description: "broker sessions opened");

    private readonly string _bridge;
    private long _appended;
    private long _payloadTooLarge;
    private long _unmapped;
    private long _unknownDevice;
    private long _logUnavailable;
    private long _credentialRefused;
    private long _sessionsOpened;

    public BridgeCounters(string bridge) => _bridge = bridge;

    /// <summary>Records durably appended and acknowledged.</summary>
    public long Appended => Interlocked.Read(ref _appended);

    public long PayloadTooLarge => Interlocked.Read(ref _payloadTooLarge);

    public long Unmapped => Interlocked.Read(ref _unmapped);

    public long UnknownDevice => Interlocked.Read(ref _unknownDevice);

    /// <summary>Appends the log refused; those messages were not acknowledged and come back with the next session.</summary>
    public long LogUnavailable => Interlocked.Read(ref _logUnavailable);

    public long CredentialRefused => Interlocked.Read(ref _credentialRefused);

    /// <summary>Connections that reached a subscribed session.</summary>
    public long SessionsOpened => Interlocked.Read(ref _sessionsOpened);

    /// <summary>Messages dropped after acknowledgement: oversize, unmapped or unknown device.</summary>
    public long Dropped => PayloadTooLarge + Unmapped + UnknownDevice;

    internal void Count(BridgeVerdict verdict)
    {
        switch (verdict)
        {
            case BridgeVerdict.Accepted:
                Interlocked.Increment(ref _appended);
                break;
            case BridgeVerdict.PayloadTooLarge:
                Interlocked.Increment(ref _payloadTooLarge);
                break;
            case BridgeVerdict.Unmapped:
                Interlocked.Increment(ref _unmapped);
                break;
            case BridgeVerdict.UnknownDevice:
                Interlocked.Increment(ref _unknownDevice);
                break;
            case BridgeVerdict.CredentialRefused:
                Interlocked.Increment(ref _credentialRefused);
                break;
        }

        _messages.Add(1, new KeyValuePair<string, object?>("bridge", _bridge), new KeyValuePair<string, object?>("outcome", Outcome(verdict)));
    }

    /// <summary>A batch's durable, acknowledged records: one add per batch, not per message.</summary>
    internal void CountAccepted(int count)
    {
        if (count == 0)
        {
            return;
        }

        Interlocked.Add(ref _appended, count);
        _messages.Add(count, new KeyValuePair<string, object?>("bridge", _bridge), new KeyValuePair<string, object?>("outcome", "appended"));
    }

    internal void CountLogUnavailable()
    {
        Interlocked.Increment(ref _logUnavailable);
        _messages.Add(1, new KeyValuePair<string, object?>("bridge", _bridge), new KeyValuePair<string, object?>("outcome", "log_unavailable"));
    }

    internal void CountSession()
    {
        Interlocked.Increment(ref _sessionsOpened);
        _sessions.Add(1, new KeyValuePair<string, object?>("bridge", _bridge));
    }

    private static string Outcome(BridgeVerdict verdict) => verdict switch
    {
        BridgeVerdict.Accepted => "appended",
        BridgeVerdict.PayloadTooLarge => "payload_too_large",
        BridgeVerdict.Unmapped => "unmapped",
        BridgeVerdict.UnknownDevice => "unknown_device",
        _ => "credential_refused",
    };
}
