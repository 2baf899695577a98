namespace Datacake.Streams.Payloads.JsonValues;

/// <summary>What <see cref="MeasurementBody"/> found: valid with its entry count, or the first error and its JSON path.</summary>
public readonly record struct MeasurementCheck
{
    public bool IsValid => Error == MeasurementError.None;

    public MeasurementError Error { get; private init; }

    /// <summary>Points in the body: 1 for an object of values.</summary>
    public int Entries { get; private init; }

    /// <summary>
    /// The time of a one-point body (a one-entry array, or an object with a top-level <c>time</c>), in Unix ns; null
    /// otherwise (processing reads each entry's own).
    /// </summary>
    public long? DeviceTimeUnixNs { get; private init; }

    /// <summary>Why it failed, for the problem detail or the dead letter.</summary>
    public string? Detail { get; private init; }

    /// <summary>JSON path of the offending element, e.g. <c>$[2].values.env.t</c>.</summary>
    public string? Path { get; private init; }

    public static MeasurementCheck Valid(int entries, long? deviceTimeUnixNs) => new() { Entries = entries, DeviceTimeUnixNs = deviceTimeUnixNs };

    public static MeasurementCheck Invalid(MeasurementError error, string detail, string path) => new() { Error = error, Detail = detail, Path = path };

    /// <summary>"detail at path", as a dead letter's detail.</summary>
    public override string ToString() => IsValid ? $"{Entries} entries" : $"{Error}: {Detail} at {Path}";
}
