using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Processing.Dedup;
using Datacake.Streams.Records;
using Datacake.Streams.UnitTests.Core.Records;

namespace Datacake.Streams.UnitTests.Processing.Dedup;

/// <summary>
/// A decoded record keeps its message id as UTF-8 and the dedup state hashes those bytes: the hash must be the one of
/// the string (state files written before hold those), and the record must still read, and re-encode, as before.
/// </summary>
public sealed class MessageIdHashTests
{
    private static RawRecord Decoded(string? messageId)
    {
        var bytes = new AdapterSigner(AdapterKeyring.CreateRandom()).EncodeSigned(new RawRecord
        {
            Version = RawRecord.CurrentVersion,
            DeviceId = DeviceId.New(),
            Source = SourceKind.Http,
            ReceivedAtUnixNs = 1,
            MessageId = messageId,
            PayloadKind = PayloadKind.JsonValues,
            Payload = "{\"a\":1}"u8.ToArray(),
            Credential = TokenHash.Of("t"),
        });
        Assert.True(RawRecordCodec.TryDecode(bytes, out var record, out var error), error.ToString());
        return record;
    }

    [Theory]
    [InlineData("0000000000000042")]
    [InlineData("70b3d57ed0000001/AXAf-session/42")]
    [InlineData("ü-ключ-😀")]
    public void The_hash_of_the_decoded_bytes_is_the_hash_of_the_string(string id)
    {
        var record = Decoded(id);
        Assert.True(record.IsMessageIdUtf8);
        Assert.True(record.HasMessageId);
        Assert.Equal(id, record.MessageId);
        Assert.Equal(KeyHash.Of(id), KeyHash.OfMessageId(record));
    }

    [Fact]
    public void A_long_id_goes_through_a_rented_buffer_with_the_same_hash()
    {
        var id = string.Concat(Enumerable.Repeat("é-key-", 100));
        Assert.Equal(KeyHash.Of(id), KeyHash.OfMessageId(Decoded(id)));
    }

    [Fact]
    public void A_record_without_an_id_has_none_and_hashes_to_no_key()
    {
        var record = Decoded(null);
        Assert.False(record.HasMessageId);
        Assert.Null(record.MessageId);
        Assert.Equal(0UL, KeyHash.OfMessageId(record));
    }

    [Fact]
    public void A_decoded_record_encodes_to_the_same_bytes()
    {
        var record = Decoded("key-1") with { Signature = default, SignedLength = 0 };
        var again = new System.Buffers.ArrayBufferWriter<byte>();
        UnsignedRecords.Encode(record, again);
        var fromString = new System.Buffers.ArrayBufferWriter<byte>();
        UnsignedRecords.Encode(record with { MessageId = "key-1" }, fromString);
        Assert.Equal(fromString.WrittenSpan.ToArray(), again.WrittenSpan.ToArray());
    }

    [Fact]
    public void An_id_that_is_not_utf8_is_a_bad_envelope()
    {
        var bytes = new AdapterSigner(AdapterKeyring.CreateRandom()).EncodeSigned(new RawRecord
        {
            Version = RawRecord.CurrentVersion,
            DeviceId = DeviceId.New(),
            MessageId = "abcd",
            Credential = TokenHash.Of("t"),
        });
        var at = bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes("abcd"));
        bytes[at] = 0xC3;
        bytes[at + 1] = 0x28;
        Assert.False(RawRecordCodec.TryDecode(bytes, out _, out var error));
        Assert.Equal(EnvelopeError.BadText, error);
    }
}
