namespace Datacake.Streams.Api.Users;

/// <summary>
/// What the API takes as an e-mail address (users are created with one, invitations may be addressed to one): trimmed,
/// at most 254 characters, something before and after an <c>@</c>. No mail is sent, so nothing stricter is checked.
/// </summary>
public static class EmailAddress
{
    public const int MaxLength = 254;

    /// <summary>The trimmed address, or null when <paramref name="text"/> is not one.</summary>
    public static string? Parse(string? text)
    {
        var email = text?.Trim();
        return string.IsNullOrEmpty(email) || email.Length > MaxLength || email.IndexOf('@', StringComparison.Ordinal) is <= 0 || email.EndsWith('@')
            ? null
            : email;
    }
}
