namespace Datacake.Streams.Processing.Decoding;

/// <summary>One field as a decoder produced it.</summary>
public readonly record struct DecodedField(string Name, DecodedFieldKind Kind, double Number, bool Boolean, string? Text)
{
    public static DecodedField OfNumber(string name, double value) => new(name, DecodedFieldKind.Number, value, false, null);

    public static DecodedField OfBoolean(string name, bool value) => new(name, DecodedFieldKind.Boolean, 0, value, null);

    public static DecodedField OfString(string name, string value) => new(name, DecodedFieldKind.String, 0, false, value);

    /// <summary>The value as JSON would show it (for the dry run's answer).</summary>
    public object? Value => Kind switch
    {
        DecodedFieldKind.Number => Number,
        DecodedFieldKind.Boolean => Boolean,
        _ => Text,
    };
}
