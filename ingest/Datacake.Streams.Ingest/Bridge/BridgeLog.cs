using Datacake.Streams.Access;
using Microsoft.Extensions.Logging;

namespace Datacake.Streams.Ingest.Bridge;

// Every message names the bridge, never its password or token (only the token's fingerprint prefix).
internal static partial class BridgeLog
{
    [LoggerMessage(1, LogLevel.Information, "Bridge {Bridge}: connected to {Host}:{Port} as {ClientId} (session present: {SessionPresent})")]
    public static partial void Connected(ILogger logger, string bridge, string host, int port, string clientId, bool sessionPresent);

    [LoggerMessage(2, LogLevel.Warning, "Bridge {Bridge}: the broker refused the connection: CONNACK code {ResultCode}")]
    public static partial void ConnectRefused(ILogger logger, string bridge, byte resultCode);

    [LoggerMessage(3, LogLevel.Warning, "Bridge {Bridge}: cannot connect to {Host}:{Port}: {Error}")]
    public static partial void ConnectFailed(ILogger logger, string bridge, string host, int port, string error);

    [LoggerMessage(4, LogLevel.Error, "Bridge {Bridge}: the broker refused the subscription to {Filter}: {ResultCode}")]
    public static partial void SubscribeRefused(ILogger logger, string bridge, string filter, byte resultCode);

    [LoggerMessage(5, LogLevel.Warning, "Bridge {Bridge}: the broker granted {Granted} for {Filter}, not the QoS asked: messages sent while we are away may be lost")]
    public static partial void SubscribeDowngraded(ILogger logger, string bridge, string filter, byte granted);

    [LoggerMessage(6, LogLevel.Information, "Bridge {Bridge}: subscribed to {Filters}")]
    public static partial void Subscribed(ILogger logger, string bridge, string filters);

    [LoggerMessage(7, LogLevel.Information, "Bridge {Bridge}: session ended ({End}); next attempt in {Delay}")]
    public static partial void Reconnecting(ILogger logger, string bridge, SessionEnd end, TimeSpan delay);

    [LoggerMessage(8, LogLevel.Warning, "Bridge {Bridge}: token {Fingerprint}… is {Status}: not connecting until it is valid")]
    public static partial void CredentialRefused(ILogger logger, string bridge, string fingerprint, AuthenticationResult status);

    [LoggerMessage(9, LogLevel.Warning, "Bridge {Bridge}: the record log refused an append ({Error}); closing the session unacknowledged so that the broker sends it again")]
    public static partial void LogUnavailable(ILogger logger, string bridge, string error);

    [LoggerMessage(10, LogLevel.Warning, "Bridge {Bridge}: dropped a message on {Topic}: {Verdict} ({Dropped} dropped since start)")]
    public static partial void Dropped(ILogger logger, string bridge, string topic, BridgeVerdict verdict, long dropped);

    [LoggerMessage(11, LogLevel.Error, "Bridge {Bridge}: cannot start: {Error}")]
    public static partial void CannotStart(ILogger logger, string bridge, string error);

    [LoggerMessage(12, LogLevel.Error, "Bridge {Bridge}: handling a message failed; it stays unacknowledged")]
    public static partial void HandlingFailed(ILogger logger, string bridge, Exception exception);

    [LoggerMessage(13, LogLevel.Debug, "Bridge {Bridge}: disconnect did not complete: {Error}")]
    public static partial void DisconnectFailed(ILogger logger, string bridge, string error);

    [LoggerMessage(14, LogLevel.Information, "Bridge {Bridge}: stopped")]
    public static partial void Stopped(ILogger logger, string bridge);
}
