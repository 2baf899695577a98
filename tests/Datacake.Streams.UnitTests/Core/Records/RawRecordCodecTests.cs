using System.Buffers;
using CsCheck;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Records;
using Google.Protobuf;
using Wire = Datacake.Streams.Records.Wire;

namespace Datacake.Streams.UnitTests.Core.Records;

public class RawRecordCodecTests
{
    [Fact]
    public void Any_record_round_trips()
    {
        RawRecordGenerators.Record.Sample(record =>
        {
            var bytes = Encode(record);
            Assert.True(RawRecordCodec.TryDecode(bytes, out var decoded, out var error), error.ToString());
            AssertSame(record, decoded);
            Assert.Equal(bytes.Length, decoded.SignedLength);
        });
    }

    [Fact]
    public void Our_bytes_parse_with_the_generated_protobuf_class_and_back()
    {
        RawRecordGenerators.Record.Sample(record =>
        {
            var wire = Wire.RawRecord.Parser.ParseFrom(Encode(record));
            Assert.Equal(record.DeviceId.ToBytes(), wire.DeviceId.ToByteArray());
            Assert.Equal((int)record.Source, (int)wire.Source);
            Assert.Equal(record.ReceivedAtUnixNs, wire.ReceivedAtUnixNs);
            Assert.Equal(record.DeviceTimeUnixNs, wire.HasDeviceTimeUnixNs ? wire.DeviceTimeUnixNs : null);
            Assert.Equal(record.MessageId ?? string.Empty, wire.MessageId);
            Assert.Equal(record.FrameCounter, wire.HasFrameCounter ? wire.FrameCounter : null);
            Assert.Equal(record.Session, wire.HasSession ? wire.Session : null);
            Assert.Equal(record.RouteId, wire.HasRouteId ? wire.RouteId : null);
            Assert.Equal(record.Payload.ToArray(), wire.Payload.ToByteArray());
            Assert.Equal(record.Credential.ToBytes(), wire.CredentialFingerprint.ToByteArray());

            // And what the generated class writes, we read.
            Assert.True(RawRecordCodec.TryDecode(wire.ToByteArray(), out var back, out var error), error.ToString());
            AssertSame(record, back);
        });
    }

    [Fact]
    [Trait("Reliability", "poison-records")]
    public void Garbage_is_refused_with_a_reason_and_never_throws()
    {
        Gen.Byte.Array[0, 512].Sample(bytes =>
        {
            if (!RawRecordCodec.TryDecode(bytes, out _, out var error))
            {
                Assert.NotEqual(EnvelopeError.None, error);
            }
        }, iter: 20_000);
    }

    [Fact]
    public void Every_truncation_of_a_valid_record_is_refused()
    {
        RawRecordGenerators.Record.Sample(record =>
        {
            var bytes = Encode(record);
            for (var length = 0; length < bytes.Length; length++)
            {
                // A prefix that ends between fields can still be a valid (shorter) record; it must never throw.
                var ok = RawRecordCodec.TryDecode(bytes.AsMemory(0, length), out var decoded, out var error);
                Assert.True(ok || error != EnvelopeError.None);
                if (ok)
                {
                    Assert.Equal(record.DeviceId, decoded.DeviceId);
                }
            }
        }, iter: 200);
    }

    [Fact]
    public void A_version_from_the_future_is_refused()
    {
        var bytes = Encode(new RawRecord { Version = 2, DeviceId = DeviceId.New(), Credential = TokenHash.Of("x") });
        Assert.False(RawRecordCodec.TryDecode(bytes, out _, out var error));
        Assert.Equal(EnvelopeError.UnsupportedVersion, error);
    }

    [Fact]
    public void A_record_without_device_id_is_refused()
    {
        var wire = new Wire.RawRecord { Version = 1, CredentialFingerprint = ByteString.CopyFrom(new byte[32]) };
        Assert.False(RawRecordCodec.TryDecode(wire.ToByteArray(), out _, out var error));
        Assert.Equal(EnvelopeError.MissingDeviceId, error);
    }

    [Fact]
    public void Encoding_allocates_nothing()
    {
        var record = new RawRecord
        {
            DeviceId = DeviceId.New(),
            Source = SourceKind.Http,
            ReceivedAtUnixNs = 1_700_000_000_000_000_000,
            MessageId = "key-1",
            PayloadKind = PayloadKind.JsonValues,
            Payload = new byte[200],
            Credential = TokenHash.Of("dcs_x"),
        };
        var buffer = new ArrayBufferWriter<byte>(4096);
        var signer = new AdapterSigner(AdapterKeyring.CreateRandom());
        signer.EncodeSigned(record, buffer);
        buffer.ResetWrittenCount();

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            signer.EncodeSigned(record, buffer);
            buffer.ResetWrittenCount();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    internal static byte[] Encode(in RawRecord record)
    {
        var buffer = new ArrayBufferWriter<byte>();
        UnsignedRecords.Encode(record, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    internal static void AssertSame(in RawRecord expected, in RawRecord actual)
    {
        Assert.Equal(expected.DeviceId, actual.DeviceId);
        Assert.Equal(expected.Source, actual.Source);
        Assert.Equal(expected.ReceivedAtUnixNs, actual.ReceivedAtUnixNs);
        Assert.Equal(expected.DeviceTimeUnixNs, actual.DeviceTimeUnixNs);
        Assert.Equal(expected.MessageId, actual.MessageId);
        Assert.Equal(expected.FrameCounter, actual.FrameCounter);
        Assert.Equal(expected.Session, actual.Session);
        Assert.Equal(expected.Port, actual.Port);
        Assert.Equal(expected.PayloadKind, actual.PayloadKind);
        Assert.Equal(expected.Payload.ToArray(), actual.Payload.ToArray());
        Assert.Equal(expected.Credential, actual.Credential);
        Assert.Equal(expected.CredentialKind, actual.CredentialKind);
        Assert.Equal(expected.WebhookMessageId, actual.WebhookMessageId);
        Assert.Equal(expected.RouteId, actual.RouteId);
        Assert.Equal(expected.SigningKeyId, actual.SigningKeyId);
    }
}
