using Microsoft.Extensions.Options;

namespace Datacake.Streams.EdgeAuth;

/// <summary>Fails start-up on budget settings that cannot work.</summary>
public sealed class FailedAuthenticationOptionsValidator : IValidateOptions<FailedAuthenticationOptions>
{
    public ValidateOptionsResult Validate(string? name, FailedAuthenticationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.FailedAuthenticationBurst < 1)
        {
            failures.Add($"{FailedAuthenticationOptions.Section}:FailedAuthenticationBurst must be at least 1");
        }

        if (options.FailedAuthenticationRefill <= TimeSpan.Zero)
        {
            failures.Add($"{FailedAuthenticationOptions.Section}:FailedAuthenticationRefill must be positive");
        }

        if (options.FailedAuthenticationScopes < 16)
        {
            failures.Add($"{FailedAuthenticationOptions.Section}:FailedAuthenticationScopes must be at least 16");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
