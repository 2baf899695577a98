using Datacake.Streams.Hosting.Faults;
using Datacake.Streams.RecordLog;

namespace Datacake.Streams.UnitTests.Host.Faults;

/// <summary>The test-only fault of the real executable: killed after the Nth durable device record, never before it is durable.</summary>
public sealed class KillAfterAppendTests
{
    [Fact]
    public async Task Kills_once_right_after_the_nth_durable_raw_append_and_registry_appends_do_not_count()
    {
        var inner = new CountingLog();
        var durableWhenKilled = new List<long>();
        var log = new KillAfterAppend(inner, appends: 2, kill: () => durableWhenKilled.Add(inner.Appended));

        await log.AppendAsync(LogTopics.Registry, new byte[] { 1 }, new byte[] { 1 });
        await log.AppendAsync(LogTopics.Raw, new byte[] { 1 }, new byte[] { 1 });
        Assert.Empty(durableWhenKilled);

        await log.AppendAsync(LogTopics.Raw, new byte[] { 1 }, new byte[] { 2 });
        await log.AppendAsync(LogTopics.Raw, new byte[] { 1 }, new byte[] { 3 });

        // Killed once, when the second device record was already in the log (3 records with the registry change).
        Assert.Equal([3L], durableWhenKilled);
    }

    [Fact]
    public void Is_armed_only_by_a_positive_whole_number_in_its_environment_variable()
    {
        var before = Environment.GetEnvironmentVariable(KillAfterAppend.Variable);
        try
        {
            Environment.SetEnvironmentVariable(KillAfterAppend.Variable, null);
            Assert.Null(KillAfterAppend.ArmedAppends());
            Environment.SetEnvironmentVariable(KillAfterAppend.Variable, "3");
            Assert.Equal(3, KillAfterAppend.ArmedAppends());
            foreach (var wrong in new[] { "0", "-1", "two", "1.5" })
            {
                Environment.SetEnvironmentVariable(KillAfterAppend.Variable, wrong);
                Assert.Throws<InvalidOperationException>(() => KillAfterAppend.ArmedAppends());
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable(KillAfterAppend.Variable, before);
        }
    }

    /// <summary>Counts appends; each is durable when its ValueTask completes.</summary>
    private sealed class CountingLog : IRecordLog
    {
        public long Appended { get; private set; }

        public int PartitionCount(string topic) => 1;

        public ValueTask<LogPosition> AppendAsync(string topic, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(new LogPosition(0, Appended++));

        public IRecordLogConsumer Subscribe(string topic, string group, StartPosition start = StartPosition.Earliest) => throw new NotSupportedException();

        public ValueTask<bool> IsReachableAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(true);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
