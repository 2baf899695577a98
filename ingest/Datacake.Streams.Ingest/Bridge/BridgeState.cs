namespace Datacake.Streams.Ingest.Bridge;

/// <summary>Where a bridge is in its life.</summary>
public enum BridgeState
{
    Created,

    /// <summary>The bridge's token is not (yet) valid in the registry view: it does not connect.</summary>
    WaitingForCredential,

    Connecting,

    /// <summary>Connected and subscribed: messages flow.</summary>
    Subscribed,

    /// <summary>Waiting (backoff) before the next connection attempt.</summary>
    Reconnecting,

    Stopped,

    /// <summary>The configuration cannot work (a certificate file is unreadable); fix it and restart.</summary>
    Failed,
}

/// <summary>Why one broker session ended.</summary>
internal enum SessionEnd
{
    /// <summary>The broker refused the CONNECT or a subscription, or the connection could not be made.</summary>
    Refused,

    /// <summary>The network or the broker dropped the connection.</summary>
    ConnectionLost,

    /// <summary>An append was refused: the session is closed without acknowledging, the broker sends the message again.</summary>
    LogUnavailable,

    /// <summary>The bridge's token stopped being valid.</summary>
    CredentialRefused,

    /// <summary>The bridge is shutting down.</summary>
    Stopped,
}
