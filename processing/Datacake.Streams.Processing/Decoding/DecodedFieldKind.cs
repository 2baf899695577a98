namespace Datacake.Streams.Processing.Decoding;

public enum DecodedFieldKind
{
    Number = 0,
    Boolean = 1,
    String = 2,
}
