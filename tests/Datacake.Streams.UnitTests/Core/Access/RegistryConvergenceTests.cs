using CsCheck;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.TestSupport;

namespace Datacake.Streams.UnitTests.Core.Access;

public class RegistryConvergenceTests
{
    // A small universe of ids, so that one sequence changes the same entities many times.
    private static readonly DeviceId[] _devices = [.. Enumerable.Range(1, 4).Select(i => new DeviceId(0, (ulong)i))];
    private static readonly Gen<RegistryChange> _changes = RegistryGenerators.Changes(
        Gen.OneOf("t1", "t2", "t3"),
        Gen.OneOf(_devices),
        Gen.OneOf("w1", "w2"),
        Gen.OneOf("s1", "s2", "s3"));

    [Fact]
    public void Two_views_fed_the_same_changes_through_the_codec_converge()
    {
        var codec = TestRegistry.Codec();
        _changes.Array[1, 60].Sample(changes =>
        {
            var direct = new RegistryView();
            var decoded = new RegistryView();
            foreach (var change in changes)
            {
                direct.Apply(change);
                Assert.Equal(RegistryDecodeStatus.Ok, codec.TryDecode(RegistryChangeCodec.EncodeKey(change), codec.EncodeValue(change), out var copy));
                decoded.Apply(copy!);
            }

            AssertSame(direct, decoded, changes);
        }, iter: 500);
    }

    [Fact]
    public void A_view_fed_the_compacted_log_equals_one_fed_the_whole_log()
    {
        _changes.Array[1, 60].Sample(changes =>
        {
            var whole = new RegistryView();
            foreach (var change in changes)
            {
                whole.Apply(change);
            }

            // Compaction keeps the latest record of each key; a new node may see only that.
            var compacted = new RegistryView();
            foreach (var change in changes.Select((c, i) => (c, i)).GroupBy(x => x.c.Key).Select(g => g.Last()).OrderBy(x => x.i))
            {
                compacted.Apply(change.c);
            }

            AssertSame(whole, compacted, changes);
        }, iter: 500);
    }

    private static void AssertSame(RegistryView left, RegistryView right, RegistryChange[] changes)
    {
        Assert.Equal(RegistryGenerators.Snapshot(left), RegistryGenerators.Snapshot(right));

        // The indexes agree too: every hash ever published authenticates alike, every routing lookup finds the same.
        var at = new DateTimeOffset(2050, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var hashes = changes.OfType<TokenUpserted>().SelectMany(t => new[] { t.Grant.Hash, t.Grant.Rotation?.PreviousHash ?? default })
            .Concat(changes.OfType<WebhookUpserted>().Select(w => w.Webhook.TokenHash));
        foreach (var hash in hashes)
        {
            Assert.Equal(left.AuthenticateFingerprint(hash, at, out var l), right.AuthenticateFingerprint(hash, at, out var r));
            Assert.Equal(l?.TokenId, r?.TokenId);
            foreach (var device in _devices)
            {
                Assert.Equal(left.AuthorizeWrite(hash, device, at), right.AuthorizeWrite(hash, device, at));
            }
        }

        foreach (var webhook in new[] { "w1", "w2" })
        {
            for (ulong eui = 0; eui < 4; eui++)
            {
                left.FindDeviceByDevEui(webhook, new DevEui(eui), out var l);
                right.FindDeviceByDevEui(webhook, new DevEui(eui), out var r);
                Assert.Equal(l?.Id, r?.Id);
            }

            foreach (var serial in new[] { "SN-1", "SN-2" })
            {
                left.FindDeviceBySerial(webhook, serial, out var l);
                right.FindDeviceBySerial(webhook, serial, out var r);
                Assert.Equal(l?.Id, r?.Id);
            }
        }
    }
}
