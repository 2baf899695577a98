using System.Buffers;
using System.Text.Json;
using Datacake.Streams.Payloads.Time;
using Datacake.Streams.RecordLog;

namespace Datacake.Streams.Payloads.DeadLetters;

/// <summary>
/// Compact JSON of a dead letter, version 1:
/// <c>{"v":1,"reason":"bad_signature","detail":"...","partition":0,"offset":42,"rejectedAt":"...","record":"base64"}</c>.
/// JSON rather than protobuf so that an operator can read the topic with any tool; the original bytes stay binary
/// (base64) because they are a signed protobuf envelope.
/// </summary>
public static class DeadLetterCodec
{
    public const int CurrentVersion = 1;

    /// <summary>Detail texts are cut here: a decoder's error message must not make dead letters unbounded.</summary>
    public const int MaxDetailLength = 1_024;

    public static byte[] Encode(DeadLetterRecord letter)
    {
        ArgumentNullException.ThrowIfNull(letter);
        var buffer = new ArrayBufferWriter<byte>(256 + (letter.Original.Length * 4 / 3));
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("v", CurrentVersion);
            json.WriteString("reason", letter.Reason.Code());
            var detail = letter.Detail.Length > MaxDetailLength ? letter.Detail[..MaxDetailLength] : letter.Detail;
            json.WriteString("detail", detail);
            json.WriteNumber("partition", letter.Source.Partition);
            json.WriteNumber("offset", letter.Source.Offset);
            json.WriteString("rejectedAt", letter.RejectedAt);
            json.WriteBase64String("record", letter.Original.Span);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads a dead letter; false for anything that is not a version-1 dead letter. Never throws.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> utf8, out DeadLetterRecord? letter)
    {
        letter = null;
        try
        {
            var reader = new Utf8JsonReader(utf8);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("v", out var version) || !version.TryGetInt32(out var v) || v != CurrentVersion
                || !root.TryGetProperty("reason", out var reasonText) || !RejectReasonCodes.TryParse(reasonText.GetString(), out var reason)
                || !root.TryGetProperty("partition", out var partition) || !root.TryGetProperty("offset", out var offset)
                || !root.TryGetProperty("record", out var record) || !root.TryGetProperty("rejectedAt", out var rejectedAt))
            {
                return false;
            }

            letter = new DeadLetterRecord(
                reason,
                root.TryGetProperty("detail", out var detail) ? detail.GetString() ?? string.Empty : string.Empty,
                new LogPosition(partition.GetInt32(), offset.GetInt64()),
                Rfc3339.TryParse(rejectedAt.GetString(), out var at) ? at : throw new FormatException("rejectedAt is not an RFC 3339 time"),
                record.GetBytesFromBase64());
            return true;
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            return false;
        }
    }
}
