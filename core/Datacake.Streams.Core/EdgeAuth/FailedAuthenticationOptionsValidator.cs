using Microsoft.Extensions.Options;

namespace Datacake.Streams.EdgeAuth;

/// <summary>Fails start-up on budget settings that cannot work (<see cref="FailedAuthenticationOptions.Check"/>).</summary>
public sealed class FailedAuthenticationOptionsValidator : IValidateOptions<FailedAuthenticationOptions>
{
    public ValidateOptionsResult Validate(string? name, FailedAuthenticationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = options.Check();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
