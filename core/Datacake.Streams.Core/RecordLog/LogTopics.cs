namespace Datacake.Streams.RecordLog;

/// <summary>The topics of the platform, names fixed by the design so that outside consumers can rely on them.</summary>
public static class LogTopics
{
    /// <summary>Raw anonymous records from the adapters, keyed by device id.</summary>
    public const string Raw = "dcs.raw";

    /// <summary>Rejected records with a reason code, keyed by device id.</summary>
    public const string DeadLetter = "dcs.deadletter";

    /// <summary>Registry changes (tokens, devices, webhooks), keyed by entity; latest value wins, empty value = tombstone.</summary>
    public const string Registry = "dcs.registry";
}
