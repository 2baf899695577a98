using System.Text.RegularExpressions;

namespace Datacake.Streams.Api.InfluxApi.Language;

/// <summary>
/// Regex literals of a query, evaluated here against the caller's own names (never sent to InfluxDB). Non-backtracking,
/// so a caller's pattern costs time linear in the name it is matched against (no catastrophic backtracking), with a
/// timeout as a second bound; RE2 (InfluxDB's engine) is also backtracking-free, so the accepted syntax is close.
/// </summary>
public static class InfluxRegex
{
    private const RegexOptions Options = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant;
    private static readonly TimeSpan _timeout = TimeSpan.FromMilliseconds(250);

    public static bool IsMatch(string pattern, string input) => Regex.IsMatch(input, pattern, Options, _timeout);

    /// <summary>Null when <paramref name="pattern"/> is a valid regex, else why not.</summary>
    public static string? Check(string pattern)
    {
        try
        {
            _ = Regex.IsMatch(string.Empty, pattern, Options, _timeout);
            return null;
        }
        catch (ArgumentException ex)
        {
            return ex.Message;
        }
        catch (NotSupportedException ex)
        {
            return ex.Message;
        }
        catch (RegexMatchTimeoutException ex)
        {
            return ex.Message;
        }
    }
}
