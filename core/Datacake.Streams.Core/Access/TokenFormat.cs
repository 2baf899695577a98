namespace Datacake.Streams.Access;

/// <summary>The outcome of checking a presented string against the token format, before any lookup.</summary>
public enum TokenFormat
{
    Valid,
    WrongPrefix,
    WrongLength,
    BadCharacter,
    BadChecksum,
}
