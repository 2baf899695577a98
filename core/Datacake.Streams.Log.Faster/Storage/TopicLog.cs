using Datacake.Streams.Files;
using System.Collections.Concurrent;
using System.Globalization;

namespace Datacake.Streams.RecordLog.Faster.Storage;

/// <summary>A topic on disk: <c>&lt;topic&gt;/partitions</c> fixes its partition count, <c>&lt;topic&gt;/&lt;p&gt;/</c> holds each partition's log.</summary>
internal sealed class TopicLog : IAsyncDisposable
{
    private const string PartitionsFile = "partitions";

    private readonly ConcurrentDictionary<string, ConsumerGroup> _groups = new(StringComparer.Ordinal);
    private readonly Lock _groupsGate = new();
    private readonly ProgressSignal _progress;
    private volatile bool _closed;

    private TopicLog(string name, string directory, PartitionLog[] partitions, ProgressSignal progress)
    {
        Name = name;
        Directory = directory;
        Partitions = partitions;
        _progress = progress;
    }

    public string Name { get; }

    public string Directory { get; }

    public IReadOnlyList<PartitionLog> Partitions { get; }

    public bool IsOpen => !_closed;

    public static TopicLog Open(string root, string name, ILogSettings options, TimeProvider time, ProgressSignal progress)
    {
        var directory = Path.Combine(root, name);
        PrivateFile.CreateDirectory(directory);
        var count = ReadOrFixPartitionCount(directory, options.PartitionsFor(name));
        var partitions = new List<PartitionLog>(count);
        try
        {
            for (var p = 0; p < count; p++)
            {
                partitions.Add(PartitionLog.Open(Path.Combine(directory, p.ToString(CultureInfo.InvariantCulture)), name, p, options, time, progress));
            }
        }
        catch
        {
            foreach (var opened in partitions)
            {
                opened.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            throw;
        }

        return new TopicLog(name, directory, [.. partitions], progress);
    }

    /// <summary>True when <paramref name="directory"/> holds a topic (its partition count was fixed).</summary>
    public static bool Exists(string directory) => File.Exists(Path.Combine(directory, PartitionsFile));

    public ConsumerGroup Group(string name)
    {
        if (_groups.TryGetValue(name, out var group))
        {
            return group;
        }

        lock (_groupsGate)
        {
            return _groups.GetOrAdd(name, n => new ConsumerGroup(this, n, _progress));
        }
    }

    /// <summary>
    /// Deletes what retention lets go in each partition: records older than the newest <paramref name="retainBytes"/>
    /// of the committed log that every consumer group of this topic has committed past. Groups are read from their
    /// durable positions files (<c>groups/*.positions</c>), live or not; one whose file was not written for
    /// <paramref name="groupIdleExpiry"/> is ignored, and a file that cannot be read stops retention for this round.
    /// Returns the partitions it truncated.
    /// </summary>
    public async Task<IReadOnlyList<int>> ApplyRetentionAsync(long retainBytes, TimeSpan groupIdleExpiry, DateTimeOffset now)
    {
        var floors = new long[Partitions.Count];
        Array.Fill(floors, long.MaxValue);
        var groups = Path.Combine(Directory, "groups");
        if (System.IO.Directory.Exists(groups))
        {
            foreach (var file in System.IO.Directory.EnumerateFiles(groups, "*.positions"))
            {
                if (now - File.GetLastWriteTimeUtc(file) > groupIdleExpiry)
                {
                    continue;
                }

                if (GroupPositions.TryReadDurable(file, Partitions.Count) is not { } committed)
                {
                    return [];
                }

                for (var p = 0; p < floors.Length; p++)
                {
                    // Nothing committed on a partition: the group still needs all of it.
                    floors[p] = Math.Min(floors[p], committed[p] == GroupPositions.None ? long.MinValue : committed[p]);
                }
            }
        }

        var truncated = new List<int>();
        foreach (var partition in Partitions)
        {
            var keepFrom = Math.Min(partition.CommittedUntil - retainBytes, floors[partition.Partition]);
            if (keepFrom > partition.Begin)
            {
                await partition.TruncateBeforeAsync(keepFrom).ConfigureAwait(false);
                truncated.Add(partition.Partition);
            }
        }

        return truncated;
    }

    /// <summary>The count on disk wins over the configured one: keys must keep their partition.</summary>
    private static int ReadOrFixPartitionCount(string directory, int configured)
    {
        var path = Path.Combine(directory, PartitionsFile);
        if (File.Exists(path))
        {
            var text = File.ReadAllText(path).Trim();
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var stored) || stored < 1)
            {
                throw new InvalidDataException($"{path} does not hold a partition count: '{text}'");
            }

            return stored;
        }

        // Written to a temporary file, flushed, then renamed: a crash leaves either no file or a whole one.
        var temporary = path + ".tmp";
        using (var stream = PrivateFile.OpenWrite(temporary, FileMode.Create))
        {
            stream.Write(System.Text.Encoding.ASCII.GetBytes(configured.ToString(CultureInfo.InvariantCulture) + "\n"));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
        return configured;
    }

    public async ValueTask DisposeAsync()
    {
        _closed = true;
        _progress.Pulse();
        foreach (var group in _groups.Values)
        {
            group.Dispose();
        }

        foreach (var partition in Partitions)
        {
            await partition.DisposeAsync().ConfigureAwait(false);
        }
    }
}
