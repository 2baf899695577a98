namespace Datacake.Streams.Processing.Decoding;

/// <summary>
/// A reusable <see cref="IPointSink"/>: one per partition, cleared per record, so decoding allocates no lists. The
/// pipeline turns <see cref="Values"/> into a <c>values</c> point and <see cref="Meta"/> into a <c>meta</c> point.
/// </summary>
public sealed class DecodedPoints : IPointSink
{
    private readonly List<DecodedField> _values = new(16);
    private readonly List<DecodedField> _meta = new(8);

    public IReadOnlyList<DecodedField> Values => _values;

    public IReadOnlyList<DecodedField> Meta => _meta;

    public void Clear()
    {
        _values.Clear();
        _meta.Clear();
    }

    public void AddNumber(string field, double value) => _values.Add(DecodedField.OfNumber(field, value));

    public void AddBoolean(string field, bool value) => _values.Add(DecodedField.OfBoolean(field, value));

    public void AddString(string field, string value) => _values.Add(DecodedField.OfString(field, value));

    public void AddMeta(string field, double value) => _meta.Add(DecodedField.OfNumber(field, value));
}
