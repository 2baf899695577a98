using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.RecordLog;
using Datacake.Streams.Records;

namespace Datacake.Streams.UnitTests.Processing;

/// <summary>Builders of records as the stages see them.</summary>
internal static class ProcessingRecords
{
    public static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    public static long Ns(DateTimeOffset time) => (time - DateTimeOffset.UnixEpoch).Ticks * 100;

    public static RawRecord Json(DeviceId device, string json, TokenHash credential = default, long? deviceTimeNs = null, string? messageId = null) => new()
    {
        Version = RawRecord.CurrentVersion,
        DeviceId = device,
        Source = SourceKind.Http,
        ReceivedAtUnixNs = Ns(Now),
        DeviceTimeUnixNs = deviceTimeNs,
        MessageId = messageId,
        PayloadKind = PayloadKind.JsonValues,
        Payload = Encoding.UTF8.GetBytes(json),
        Credential = credential,
        CredentialKind = CredentialKind.Token,
    };

    /// <summary>A record past the envelope check, at <paramref name="offset"/> of <paramref name="partition"/>.</summary>
    public static PipelineRecord Checked(RawRecord raw, long offset, int partition = 0, long epoch = 1) =>
        new(new LogRecord(LogTopics.Raw, new LogPosition(partition, offset), raw.DeviceId.ToBytes(), Array.Empty<byte>()), epoch)
        {
            Raw = raw,
            HasEnvelope = true,
        };

    /// <summary>A record as the batch stage sees it: <paramref name="values"/> and <paramref name="meta"/> points already decoded.</summary>
    public static PipelineRecord Decoded(long offset, int values, int meta = 0, int partition = 0, long epoch = 1)
    {
        var record = new PipelineRecord(new LogRecord(LogTopics.Raw, new LogPosition(partition, offset), new byte[16], new byte[] { 1 }), epoch)
        {
            ValuesCount = values,
            MetaCount = meta,
        };
        return record;
    }

    public static PipelineRecord Raw(byte[] bytes, long offset) =>
        new(new LogRecord(LogTopics.Raw, new LogPosition(0, offset), new byte[16], bytes), 1);
}
