using System.Text;

namespace Datacake.Streams.Processing.Decoding;

/// <summary>The field rules of docs/DATA-MODEL.md, shared by every decoder here.</summary>
public static class FieldRules
{
    public const int MaxNameLength = 64;
    public const int MaxFields = 100;
    public const int MaxStringBytes = 1024;

    /// <summary>Nested objects flatten with '.', at most this many levels (<c>a.b.c</c>).</summary>
    public const int MaxDepth = 3;

    public static bool IsValidName(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty || name.Length > MaxNameLength)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    public static bool FitsString(string value) =>
        value.Length <= MaxStringBytes / 3 || Encoding.UTF8.GetByteCount(value) <= MaxStringBytes;
}
