using System.Buffers.Binary;
using Datacake.Streams.Ids;
using Datacake.Streams.Processing.Dedup;
using Datacake.Streams.Records;

namespace Datacake.Streams.Processing.Replay;

/// <summary>
/// What replay guard and duplicate filter remember of a written record: its device, receive time and source, its
/// frame counter, and its session, webhook-id and message id as <see cref="KeyHash"/>es (0: none). A record waits in
/// this form between admission and the write (64 B, not the ~240 B of a <see cref="RawRecord"/>), and the partition
/// state journals it in <see cref="Encode"/>'s form so that a restart replays exactly what was accepted.
/// </summary>
internal readonly record struct AcceptedRecord(
    DeviceId DeviceId,
    long ReceivedAtUnixNs,
    SourceKind Source,
    uint? FrameCounter,
    ulong SessionKey,
    ulong WebhookKey,
    ulong MessageKey)
{
    /// <summary>The largest <see cref="Encode"/> output: device, time, message key, source, flags, counter, session, webhook.</summary>
    public const int MaxEncodedLength = DeviceId.ByteLength + 8 + 8 + 1 + 1 + 4 + 8 + 8;

    private const byte HasCounter = 1;
    private const byte HasSession = 2;
    private const byte HasWebhook = 4;

    public static AcceptedRecord Of(in RawRecord record, ulong messageKey) => new(
        record.DeviceId,
        record.ReceivedAtUnixNs,
        record.Source,
        record.FrameCounter,
        KeyHash.Of(record.Session),
        record.WebhookMessageId is null ? 0 : ReplayGuard.WebhookKey(record),
        messageKey);

    /// <summary>Writes the record (34 B for one without counter, session or webhook-id); returns the length.</summary>
    public int Encode(Span<byte> destination)
    {
        DeviceId.WriteBytes(destination);
        var at = DeviceId.ByteLength;
        BinaryPrimitives.WriteInt64LittleEndian(destination[at..], ReceivedAtUnixNs);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[(at + 8)..], MessageKey);
        destination[at + 16] = (byte)Source;
        var flags = (byte)((FrameCounter is null ? 0 : HasCounter) | (SessionKey == 0 ? 0 : HasSession) | (WebhookKey == 0 ? 0 : HasWebhook));
        destination[at + 17] = flags;
        at += 18;
        if (FrameCounter is { } counter)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(destination[at..], counter);
            at += 4;
        }

        if (SessionKey != 0)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(destination[at..], SessionKey);
            at += 8;
        }

        if (WebhookKey != 0)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(destination[at..], WebhookKey);
            at += 8;
        }

        return at;
    }

    /// <summary>Reads one <see cref="Encode"/>d record; false on bytes that are not one.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> source, out AcceptedRecord record, out int length)
    {
        record = default;
        length = 0;
        if (source.Length < DeviceId.ByteLength + 18 || (source[DeviceId.ByteLength + 17] & ~(HasCounter | HasSession | HasWebhook)) != 0)
        {
            return false;
        }

        var device = DeviceId.FromBytes(source[..DeviceId.ByteLength]);
        var at = DeviceId.ByteLength;
        var time = BinaryPrimitives.ReadInt64LittleEndian(source[at..]);
        var messageKey = BinaryPrimitives.ReadUInt64LittleEndian(source[(at + 8)..]);
        var kind = (SourceKind)source[at + 16];
        var flags = source[at + 17];
        at += 18;
        var needed = at + ((flags & HasCounter) != 0 ? 4 : 0) + ((flags & HasSession) != 0 ? 8 : 0) + ((flags & HasWebhook) != 0 ? 8 : 0);
        if (source.Length < needed)
        {
            return false;
        }

        uint? counter = null;
        if ((flags & HasCounter) != 0)
        {
            counter = BinaryPrimitives.ReadUInt32LittleEndian(source[at..]);
            at += 4;
        }

        var session = 0UL;
        if ((flags & HasSession) != 0)
        {
            session = BinaryPrimitives.ReadUInt64LittleEndian(source[at..]);
            at += 8;
        }

        var webhook = 0UL;
        if ((flags & HasWebhook) != 0)
        {
            webhook = BinaryPrimitives.ReadUInt64LittleEndian(source[at..]);
            at += 8;
        }

        record = new AcceptedRecord(device, time, kind, counter, session, webhook, messageKey);
        length = at;
        return true;
    }
}
