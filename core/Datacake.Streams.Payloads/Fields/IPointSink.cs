namespace Datacake.Streams.Payloads.Fields;

/// <summary>
/// Receives the fields of one decoded record: values for measurement <c>values</c> (retention policy <c>raw</c>, P0)
/// and radio/battery metadata for measurement <c>meta</c> (P1). Device and time are the record's (docs/DATA-MODEL.md),
/// so decoders never see them. Names arrive valid: 1-64 of [A-Za-z0-9_.-].
/// </summary>
public interface IPointSink
{
    /// <summary>Every number is a float field: a device that sends 21 then 21.5 must not conflict in InfluxDB.</summary>
    void AddNumber(string field, double value);

    void AddBoolean(string field, bool value);

    /// <summary>At most 1,024 UTF-8 bytes (checked by the decoders).</summary>
    void AddString(string field, string value);

    /// <summary>One of <see cref="MetaFields"/>: numeric only.</summary>
    void AddMeta(string field, double value);
}
