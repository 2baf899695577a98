using System.Buffers;

namespace Datacake.Streams.RecordLog.Faster.Storage;

/// <summary>Topic and group names become directory and file names: only a safe alphabet is accepted.</summary>
internal static class LogNames
{
    public const string Rule = "1-120 characters of A-Z a-z 0-9 . _ -, not only dots";

    private static readonly SearchValues<char> _allowed =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-");

    public static bool IsValid(string? name) =>
        name is { Length: > 0 and <= 120 }
        && !name.AsSpan().ContainsAnyExcept(_allowed)
        && name.AsSpan().ContainsAnyExcept('.');

    public static void ThrowIfInvalid(string name, string kind)
    {
        if (!IsValid(name))
        {
            throw new ArgumentException($"'{name}' is not a valid {kind} name: {Rule}.", kind);
        }
    }
}
