using System.Buffers;
using Datacake.Streams.Records;

namespace Datacake.Streams.UnitTests.Core.Records;

/// <summary>A record's bytes without a signature: what the codec tests compare; production only writes signed records (<see cref="AdapterSigner"/>).</summary>
internal static class UnsignedRecords
{
    public static void Encode(in RawRecord record, IBufferWriter<byte> output)
    {
        var size = RawRecordCodec.UnsignedSize(record);
        var span = output.GetSpan(size);
        RawRecordCodec.WriteUnsigned(record, span[..size]);
        output.Advance(size);
    }
}
