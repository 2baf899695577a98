using System.Runtime.CompilerServices;
using Datacake.Streams.Backups;
using Datacake.Streams.Ids;
using Datacake.Streams.Influx.Client;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.UnitTests.Backups;

public sealed class DevicePurgeTests
{
    private static readonly TimeSpan _window = TimeSpan.FromDays(30);

    [Fact]
    public async Task A_device_is_purged_on_the_first_pass_after_its_window_and_only_once()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));
        var device = DeviceId.New();
        var records = new WindowedDeletions(_window);
        records.Delete(device, time.GetUtcNow());
        var dropped = new List<DeviceId>();
        var purge = new DevicePurge(records, (d, _) => { dropped.Add(d); return Task.CompletedTask; }, time, NullLogger<DevicePurge>.Instance);

        time.Advance(_window - TimeSpan.FromMinutes(1));
        Assert.Empty(await purge.RunOnceAsync(CancellationToken.None));
        Assert.Empty(dropped);

        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal([device], await purge.RunOnceAsync(CancellationToken.None));
        Assert.Equal([device], dropped);

        time.Advance(TimeSpan.FromHours(1));
        Assert.Empty(await purge.RunOnceAsync(CancellationToken.None));
        Assert.Single(dropped);
    }

    [Fact]
    public async Task A_failed_drop_leaves_the_device_to_the_next_pass()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero));
        var device = DeviceId.New();
        var records = new WindowedDeletions(_window);
        records.Delete(device, time.GetUtcNow() - _window - TimeSpan.FromHours(1));
        var fail = true;
        var purge = new DevicePurge(
            records,
            (_, _) => fail ? throw new InfluxException(InfluxErrorKind.Unavailable, "down") : Task.CompletedTask,
            time,
            NullLogger<DevicePurge>.Instance);

        await Assert.ThrowsAsync<InfluxException>(() => purge.RunOnceAsync(CancellationToken.None));
        fail = false;
        Assert.Equal([device], await purge.RunOnceAsync(CancellationToken.None));
    }

    /// <summary>Identity's side of the seam: deletions expire after the window and stay purged once marked.</summary>
    private sealed class WindowedDeletions(TimeSpan window) : IDeletedDevices
    {
        private readonly Dictionary<DeviceId, DateTimeOffset> _deleted = [];
        private readonly HashSet<DeviceId> _purged = [];

        public void Delete(DeviceId device, DateTimeOffset at) => _deleted[device] = at;

        public async IAsyncEnumerable<ExpiredDevice> ExpiredAsync(DateTimeOffset now, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            foreach (var (device, at) in _deleted)
            {
                if (!_purged.Contains(device) && now - at >= window)
                {
                    yield return new ExpiredDevice(device, at);
                }
            }
        }

        public Task MarkPurgedAsync(DeviceId device, DateTimeOffset purgedAt, CancellationToken cancellationToken)
        {
            _purged.Add(device);
            return Task.CompletedTask;
        }
    }
}
