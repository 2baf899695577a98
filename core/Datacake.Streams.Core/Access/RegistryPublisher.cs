using Datacake.Streams.RecordLog;

namespace Datacake.Streams.Access;

/// <summary>Appends registry changes to <c>dcs.registry</c>, where every node's <see cref="RegistryFeed"/> picks them up.</summary>
public sealed class RegistryPublisher
{
    private readonly IRecordLog _log;
    private readonly RegistryChangeCodec _codec;

    /// <param name="codec">Signs every change (<see cref="RegistryMac"/>): readers refuse what it did not sign.</param>
    public RegistryPublisher(IRecordLog log, RegistryChangeCodec codec)
    {
        _log = log ?? throw new ArgumentNullException(nameof(log));
        _codec = codec ?? throw new ArgumentNullException(nameof(codec));
    }

    /// <summary>
    /// Completes once the change is durable in the log. The position it returns can be handed to
    /// <see cref="RegistryFeed.WaitForAsync"/> to wait until a node's view has applied it (read-your-writes).
    /// </summary>
    public ValueTask<LogPosition> PublishAsync(RegistryChange change, CancellationToken cancellationToken = default) =>
        _log.AppendAsync(LogTopics.Registry, RegistryChangeCodec.EncodeKey(change), _codec.EncodeValue(change), cancellationToken);
}
