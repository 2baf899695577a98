using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.Access;

/// <summary>Section "Access": the operator credential, recovery window, and abuse limits of the identity API.</summary>
public sealed record AccessOptions
{
    public const string Section = "Access";

    /// <summary>The operator's bearer token (env <c>DCS_OPERATOR_TOKEN</c>); empty = generated into <c>&lt;data&gt;/operator.token</c>.</summary>
    public string? OperatorToken { get; init; }

    /// <summary>How long a deleted device can be restored.</summary>
    public TimeSpan DeviceRecoveryWindow { get; init; } = TimeSpan.FromDays(30);

    /// <summary>How long the <c>confirm</c> code of a device deletion stays good.</summary>
    public TimeSpan DeletionConfirmationLifetime { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Request bodies of the JSON endpoints; the largest legitimate one (a decoder's source) fits in 64 KiB.</summary>
    public int MaxRequestBodyBytes { get; init; } = 64 * 1024;

    // Access:FailedAuthenticationBurst / FailedAuthenticationRefill / FailedAuthenticationScopes belong to the one
    // failed-authentication budget of every edge: EdgeAuth.FailedAuthenticationOptions binds them from this section.

    /// <summary>
    /// How long a resolved token or device may answer from memory while the metadata store has not changed; zero turns
    /// the cache off. Writes on this node end every entry at once, so this only bounds how long a change made outside
    /// this process (another process on the same file) can go unseen. The four store lookups it saves were ~0.65-0.85 ms
    /// of a ~2 ms one-device series query.
    /// </summary>
    public TimeSpan IdentityCacheLifetime { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Entries of each identity cache (tokens, devices) before it starts over; ~1 KiB each at most.</summary>
    public int IdentityCacheEntries { get; init; } = 10_000;
}

public sealed class AccessOptionsValidator : IValidateOptions<AccessOptions>
{
    public ValidateOptionsResult Validate(string? name, AccessOptions options)
    {
        var failures = new List<string>();
        if (options.OperatorToken is { Length: > 0 and < 32 })
        {
            failures.Add("Access:OperatorToken must be at least 32 characters (or empty to generate one)");
        }

        if (options.DeviceRecoveryWindow < TimeSpan.Zero)
        {
            failures.Add("Access:DeviceRecoveryWindow must not be negative");
        }

        if (options.DeletionConfirmationLifetime <= TimeSpan.Zero)
        {
            failures.Add("Access:DeletionConfirmationLifetime must be positive");
        }

        if (options.MaxRequestBodyBytes is < 1024 or > 16 * 1024 * 1024)
        {
            failures.Add("Access:MaxRequestBodyBytes must be between 1 KiB and 16 MiB");
        }

        if (options.IdentityCacheLifetime < TimeSpan.Zero || options.IdentityCacheLifetime > TimeSpan.FromHours(1))
        {
            failures.Add("Access:IdentityCacheLifetime must be between 0 (off) and 1 hour");
        }

        if (options.IdentityCacheEntries is < 1 or > 1_000_000)
        {
            failures.Add("Access:IdentityCacheEntries must be between 1 and 1,000,000");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
