namespace Datacake.Streams.Ingest.Measurements;

/// <summary>What <see cref="MeasurementBody.Check"/> found: valid with its entry count, or the first error and its JSON path.</summary>
public readonly record struct MeasurementCheck
{
    public bool IsValid => Error == MeasurementError.None;

    public MeasurementError Error { get; private init; }

    /// <summary>Entries in the body: 1 for an object of values.</summary>
    public int Entries { get; private init; }

    /// <summary>The time of the only entry of a one-entry array, in Unix ns; null otherwise (processing reads each entry's own).</summary>
    public long? DeviceTimeUnixNs { get; private init; }

    /// <summary>Why it failed, for the problem detail.</summary>
    public string? Detail { get; private init; }

    /// <summary>JSON path of the offending element, e.g. <c>$[2].values.env.t</c>.</summary>
    public string? Path { get; private init; }

    public static MeasurementCheck Valid(int entries, long? deviceTimeUnixNs) => new() { Entries = entries, DeviceTimeUnixNs = deviceTimeUnixNs };

    public static MeasurementCheck Invalid(MeasurementError error, string detail, string path) => new() { Error = error, Detail = detail, Path = path };
}

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
