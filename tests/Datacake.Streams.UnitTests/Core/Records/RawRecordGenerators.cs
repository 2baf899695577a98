using CsCheck;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Records;

namespace Datacake.Streams.UnitTests.Core.Records;

internal static class RawRecordGenerators
{
    private static readonly Gen<string?> _optionalText =
        Gen.OneOf(Gen.Const((string?)null), Gen.String.Select(s => (string?)s), Gen.String[0, 300].Select(s => (string?)s));

    private static readonly Gen<byte[]> _payload = Gen.OneOf(Gen.Byte.Array[0, 8], Gen.Byte.Array[0, 4096]);

    public static readonly Gen<RawRecord> Record =
        from ids in Gen.Select(Gen.ULong, Gen.ULong, Gen.Byte.Array[TokenHash.ByteLength])
        from kinds in Gen.Select(Gen.Int[0, 7], Gen.Int[0, 4], Gen.Int[0, 2])
        from times in Gen.Select(Gen.Long, Gen.Long.Nullable())
        from counters in Gen.Select(Gen.UInt.Nullable(), Gen.UInt.Nullable(), Gen.UInt[0, 1000])
        from texts in Gen.Select(_optionalText, _optionalText, _optionalText, _optionalText)
        from payload in _payload
        select new RawRecord
        {
            Version = RawRecord.CurrentVersion,
            DeviceId = new DeviceId(ids.Item1, ids.Item2),
            Source = (SourceKind)kinds.Item1,
            PayloadKind = (PayloadKind)kinds.Item2,
            CredentialKind = (CredentialKind)kinds.Item3,
            ReceivedAtUnixNs = times.Item1,
            DeviceTimeUnixNs = times.Item2,
            FrameCounter = counters.Item1,
            Port = counters.Item2,
            SigningKeyId = counters.Item3,
            MessageId = string.IsNullOrEmpty(texts.Item1) ? null : texts.Item1,
            Session = texts.Item2,
            WebhookMessageId = texts.Item3,
            RouteId = texts.Item4,
            Payload = payload,
            Credential = TokenHash.FromBytes(ids.Item3),
        };
}
