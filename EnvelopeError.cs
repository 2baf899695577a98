namespace Datacake.Streams.Records;

/// <summary>
/// Why <see cref="RawRecordCodec.TryDecode"/> refused its input: a code, the field concerned (0 when none) and the
/// byte offset where it was noticed (-1 for checks made on the whole record). A value type: rejecting garbage
/// allocates nothing.
/// </summary>
public readonly record struct EnvelopeError(EnvelopeErrorCode Code, int FieldNumber, int Offset)
{
    public static EnvelopeError None => default;

    public bool IsNone => Code == EnvelopeErrorCode.None;

    public override string ToString()
    {
        if (IsNone)
        {
            return "no error";
        }

        var field = FieldNumber == 0 ? string.Empty : $" in field {FieldNumber} ({RawRecordFields.NameOf(FieldNumber)})";
        var offset = Offset < 0 ? string.Empty : $" at byte {Offset}";
        return $"{Code}{field}{offset}";
    }
}
