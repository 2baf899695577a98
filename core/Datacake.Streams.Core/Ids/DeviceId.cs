using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Datacake.Streams.Ids;

/// <summary>
/// A device's opaque identity: 128 random bits, nothing derived from a name, a workspace or a serial number,
/// so that a raw record that leaks says nothing about whose device sent it.
/// Written as <c>dev_</c> + 26 lowercase Crockford base32 characters (130 bits, the top 2 always zero, so the first is 0-7).
/// </summary>
public readonly record struct DeviceId(ulong High, ulong Low) : ISpanFormattable
{
    public const string Prefix = "dev_";
    public const int ByteLength = 16;
    public const int TextLength = 4 + 26;

    // Crockford base32 without I, L, O, U: no ambiguous characters when read aloud or typed.
    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

    public static DeviceId New()
    {
        Span<byte> bytes = stackalloc byte[ByteLength];
        RandomNumberGenerator.Fill(bytes);
        return FromBytes(bytes);
    }

    public static DeviceId FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != ByteLength)
        {
            throw new ArgumentException($"a device id is {ByteLength} bytes, got {bytes.Length}", nameof(bytes));
        }

        return new DeviceId(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]));
    }

    public void WriteBytes(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, High);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], Low);
    }

    public byte[] ToBytes()
    {
        var bytes = new byte[ByteLength];
        WriteBytes(bytes);
        return bytes;
    }

    public static bool TryParse(ReadOnlySpan<char> text, out DeviceId id)
    {
        id = default;
        if (text.Length != TextLength || !text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var body = text[Prefix.Length..];
        ulong high = 0, low = 0;
        for (var i = 0; i < body.Length; i++)
        {
            var value = Alphabet.IndexOf(char.ToLowerInvariant(body[i]));
            if (value < 0 || (i == 0 && value > 7))
            {
                return false;
            }

            // Shift the 128-bit (high, low) pair left by 5 and add the digit.
            high = (high << 5) | (low >> 59);
            low = (low << 5) | (uint)value;
        }

        id = new DeviceId(high, low);
        return true;
    }

    public static bool TryParse([NotNullWhen(true)] string? text, out DeviceId id)
    {
        if (text is null)
        {
            id = default;
            return false;
        }

        return TryParse(text.AsSpan(), out id);
    }

    public static DeviceId Parse(string text) =>
        TryParse(text, out var id) ? id : throw new FormatException("not a device id");

    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format = default, IFormatProvider? provider = null)
    {
        if (destination.Length < TextLength)
        {
            charsWritten = 0;
            return false;
        }

        Prefix.AsSpan().CopyTo(destination);
        ulong high = High, low = Low;
        for (var i = TextLength - 1; i >= Prefix.Length; i--)
        {
            destination[i] = Alphabet[(int)(low & 31)];
            low = (low >> 5) | (high << 59);
            high >>= 5;
        }

        charsWritten = TextLength;
        return true;
    }

    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    public override string ToString() => string.Create(TextLength, this, static (span, id) => id.TryFormat(span, out _));
}
