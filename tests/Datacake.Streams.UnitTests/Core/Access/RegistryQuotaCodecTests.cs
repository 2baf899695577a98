using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.TestSupport;

namespace Datacake.Streams.UnitTests.Core.Access;

/// <summary>
/// The operator's ingest quota on a workspace's <c>dcs.registry</c> value: an additive field of format v1, so values
/// written before it existed read as before, and a workspace without a quota is written exactly as before.
/// </summary>
public sealed class RegistryQuotaCodecTests
{
    private readonly RegistryChangeCodec _codec = TestRegistry.Codec();

    [Fact]
    public void A_workspace_without_a_quota_is_written_byte_for_byte_as_before_quotas()
    {
        var value = _codec.EncodePayload(new WorkspaceUpserted(new WorkspaceEntry("ws_a", "ws_root")));
        Assert.Equal("""{"v":1,"id":"ws_a","parent":"ws_root"}""", Encoding.UTF8.GetString(value));
    }

    [Fact]
    public void A_value_written_before_quotas_reads_as_a_workspace_with_the_default()
    {
        var status = _codec.TryDecodePayload("workspace:ws_a"u8, """{"v":1,"id":"ws_a","parent":"ws_root"}"""u8, out var change);
        Assert.Equal(RegistryDecodeStatus.Ok, status);
        Assert.Equal(new WorkspaceEntry("ws_a", "ws_root", null), Assert.IsType<WorkspaceUpserted>(change).Workspace);
    }

    [Fact]
    public void A_quota_survives_the_round_trip()
    {
        var change = new WorkspaceUpserted(new WorkspaceEntry("ws_a", null, new IngestQuota(12.5, 40)));
        var value = _codec.EncodeValue(change);
        Assert.Contains("\"quota\":{\"pointsPerSecond\":12.5,\"burst\":40}", Encoding.UTF8.GetString(value), StringComparison.Ordinal);
        Assert.Equal(RegistryDecodeStatus.Ok, _codec.TryDecode(RegistryChangeCodec.EncodeKey(change), value, out var decoded));
        Assert.Equal(change, decoded);
    }

    [Theory]
    [InlineData("""{"pointsPerSecond":0,"burst":10}""")]
    [InlineData("""{"pointsPerSecond":-5,"burst":10}""")]
    [InlineData("""{"pointsPerSecond":10,"burst":0.5}""")]
    public void A_quota_that_cannot_work_is_a_corrupt_value(string quota)
    {
        var value = Encoding.UTF8.GetBytes($$"""{"v":1,"id":"ws_a","quota":{{quota}}}""");
        Assert.Equal(RegistryDecodeStatus.Corrupt, _codec.TryDecodePayload("workspace:ws_a"u8, value, out var change));
        Assert.IsType<WorkspaceRemoved>(change);
    }
}
