using Datacake.Streams.Access;
using Datacake.Streams.Processing.Decoding;
using Datacake.Streams.Processing.Dedup;
using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.Processing.Replay;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Datacake.Streams.Processing.State;

/// <summary>
/// The production <see cref="IRecordVerdicts"/>: per partition a <see cref="ReplayGuard"/> and a
/// <see cref="DuplicateFilter"/> loaded from <see cref="PartitionStateStore"/> (so they survive a restart), and the
/// payload decoders: JSON values (Values/), raw device bytes and network-server uplinks (Decoding/).
/// </summary>
public sealed class GuardedVerdicts : IRecordVerdicts
{
    private readonly PartitionStateStore _store;
    private readonly ReplayGuardOptions _replayOptions;
    private readonly DuplicateFilterOptions _dedupOptions;
    private readonly TimeProvider _time;
    private readonly RegistryView _registry;
    private readonly UplinkDecoder _uplinks;
    private readonly ILogger _logger;

    public GuardedVerdicts(
        PartitionStateStore store,
        ReplayGuardOptions replayOptions,
        DuplicateFilterOptions dedupOptions,
        TimeProvider time,
        RegistryView registry,
        UplinkDecoder uplinks,
        ILogger<GuardedVerdicts>? logger = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _replayOptions = replayOptions ?? throw new ArgumentNullException(nameof(replayOptions));
        _dedupOptions = dedupOptions ?? throw new ArgumentNullException(nameof(dedupOptions));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _registry = registry ?? throw new ArgumentNullException(nameof(registry));
        _uplinks = uplinks ?? throw new ArgumentNullException(nameof(uplinks));
        _logger = logger ?? NullLogger<GuardedVerdicts>.Instance;
    }

    public IPartitionState Open(int partition)
    {
        var loaded = _store.Load(partition, _replayOptions, _dedupOptions, _time);
        if (loaded.Corrupt)
        {
            // Starting empty lets replays of the uncommitted tail through once; refusing to start would stop the partition.
            _logger.LogWarning("Replay/dedup state of partition {Partition} at {Path} is unreadable; starting with empty state", partition, _store.PathOf(partition));
        }

        return new GuardedPartitionState(loaded, _store, _registry, _uplinks, _replayOptions);
    }
}
