namespace Datacake.Streams.Payloads.JsonValues;

/// <summary>Why a measurement body was refused; the name becomes the problem's <c>error</c> member.</summary>
public enum MeasurementError
{
    None,
    MalformedJson,
    WrongShape,
    UnknownMember,
    BadTime,
    BadFieldName,
    BadValue,
    TooDeep,
    TooManyFields,
    TooManyEntries,
}
