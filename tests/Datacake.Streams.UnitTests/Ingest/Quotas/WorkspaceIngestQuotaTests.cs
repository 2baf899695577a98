using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Ingest.Quotas;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.UnitTests.Ingest.Quotas;

/// <summary>
/// The workspace quota as ingest asks it: keyed by the workspace of the device written (resolved in the registry view),
/// the operator's quota over the default, sub-workspaces on their tenant's quota, on a fake clock.
/// </summary>
public sealed class WorkspaceIngestQuotaTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));
    private readonly RegistryView _registry;
    private readonly WorkspaceIngestQuota _quota;
    private readonly DeviceId _deviceA = DeviceId.New();
    private readonly DeviceId _deviceA2 = DeviceId.New();
    private readonly DeviceId _deviceASub = DeviceId.New();
    private readonly DeviceId _deviceB = DeviceId.New();

    public WorkspaceIngestQuotaTests()
    {
        _registry = new RegistryView(_time);
        _registry.Apply(new WorkspaceUpserted(new WorkspaceEntry("ws_a", null)));
        _registry.Apply(new WorkspaceUpserted(new WorkspaceEntry("ws_a_sub", "ws_a")));
        _registry.Apply(new WorkspaceUpserted(new WorkspaceEntry("ws_b", null)));
        Device(_deviceA, "ws_a");
        Device(_deviceA2, "ws_a");
        Device(_deviceASub, "ws_a_sub");
        Device(_deviceB, "ws_b");
        _quota = new WorkspaceIngestQuota(_registry, _time, Options.Create(new IngestQuotaOptions { PointsPerSecond = 100, Burst = 200 }));
    }

    [Fact]
    public void One_workspace_over_its_quota_leaves_another_untouched()
    {
        Assert.True(_quota.TryAdmit(_deviceA, 150, out _));
        Assert.True(_quota.TryAdmit(_deviceA2, 50, out _));
        Assert.False(_quota.TryAdmit(_deviceA, 1, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(1), retryAfter);

        // B has its whole burst, however much A sent.
        Assert.True(_quota.TryAdmit(_deviceB, 200, out _));
        Assert.False(_quota.TryAdmit(_deviceB, 1, out _));

        // A second later A has its 100 points per second again.
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(_quota.TryAdmit(_deviceA, 100, out _));
        Assert.False(_quota.TryAdmit(_deviceA, 1, out _));
    }

    [Fact]
    public void The_operators_quota_replaces_the_default_as_soon_as_the_view_has_it()
    {
        _registry.Apply(new WorkspaceUpserted(new WorkspaceEntry("ws_a", null, new IngestQuota(2, 5))));
        Assert.True(_quota.TryAdmit(_deviceA, 5, out _));
        Assert.False(_quota.TryAdmit(_deviceA, 1, out _));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(_quota.TryAdmit(_deviceA, 2, out _));
        Assert.False(_quota.TryAdmit(_deviceA, 1, out _));

        // Removed again: the default, whose larger burst fills up from here at the default rate.
        _registry.Apply(new WorkspaceUpserted(new WorkspaceEntry("ws_a", null)));
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(_quota.TryAdmit(_deviceA, 200, out _));
        Assert.True(_quota.TryAdmit(_deviceB, 200, out _));
    }

    [Fact]
    public void Sub_workspaces_share_their_tenants_quota_unless_the_operator_gives_them_one()
    {
        // Making sub-workspaces does not multiply a tenant's quota.
        Assert.True(_quota.TryAdmit(_deviceASub, 200, out _));
        Assert.False(_quota.TryAdmit(_deviceA, 1, out _));

        _registry.Apply(new WorkspaceUpserted(new WorkspaceEntry("ws_a_sub", "ws_a", new IngestQuota(10, 30))));
        Assert.True(_quota.TryAdmit(_deviceASub, 30, out _));
        Assert.False(_quota.TryAdmit(_deviceASub, 1, out _));
        Assert.False(_quota.TryAdmit(_deviceA, 1, out _));

        // An operator's quota on the root covers the sub-workspaces without one.
        _registry.Apply(new WorkspaceUpserted(new WorkspaceEntry("ws_a_sub", "ws_a")));
        _registry.Apply(new WorkspaceUpserted(new WorkspaceEntry("ws_a", null, new IngestQuota(1, 1000))));
        Assert.False(_quota.TryAdmit(_deviceASub, 1, out _));
        Assert.Equal(2, _quota.TrackedWorkspaces);
    }

    [Fact]
    public void A_point_is_the_unit_and_an_empty_message_still_costs_one()
    {
        Assert.True(_quota.TryAdmit(_deviceA, 0, out _));
        Assert.True(_quota.TryAdmit(_deviceA, 199, out _));
        Assert.False(_quota.TryAdmit(_deviceA, 1, out _));
    }

    [Fact]
    public void A_device_the_view_does_not_know_is_left_to_the_scope_check()
    {
        Assert.True(_quota.TryAdmit(DeviceId.New(), 10_000, out _));
        Assert.Equal(0, _quota.TrackedWorkspaces);
    }

    [Fact]
    public void Admitting_allocates_nothing_once_the_workspace_has_a_bucket()
    {
        _registry.Apply(new WorkspaceUpserted(new WorkspaceEntry("ws_a", null, new IngestQuota(1e6, 1e9))));
        Assert.True(_quota.TryAdmit(_deviceASub, 1, out _));
        Assert.True(_quota.TryAdmit(_deviceB, 1, out _));
        const int Calls = 20_000;
        for (var i = 0; i < Calls; i++)
        {
            _quota.TryAdmit(_deviceASub, 5, out _);
            _quota.TryAdmit(_deviceB, 1, out _);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Calls; i++)
        {
            _quota.TryAdmit(_deviceASub, 5, out _);
            _quota.TryAdmit(_deviceB, 1, out _);
        }

        // Less than a byte per call (an object is at least 24): nothing per message; a one-off of the JIT's
        // tiering on this thread does not fail it.
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < Calls, $"{allocated} bytes over {2 * Calls} calls");
    }

    [Fact]
    public void Defaults_are_valid_and_a_quota_that_cannot_work_fails_start_up()
    {
        var validator = new IngestQuotaOptionsValidator();
        Assert.True(validator.Validate(null, new IngestQuotaOptions()).Succeeded);
        var zero = validator.Validate(null, new IngestQuotaOptions { PointsPerSecond = 0, Burst = 0.5 });
        Assert.True(zero.Failed);
        Assert.Contains("Ingest:Quota:PointsPerSecond", zero.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Ingest:Quota:Burst", zero.FailureMessage, StringComparison.Ordinal);
    }

    private void Device(DeviceId id, string workspace) => _registry.Apply(new DeviceUpserted(new DeviceEntry { Id = id, WorkspaceId = workspace }));
}
