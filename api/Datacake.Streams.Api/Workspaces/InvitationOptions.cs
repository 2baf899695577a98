using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.Workspaces;

/// <summary>Section "Invitations": how long an explicit invitation can be accepted.</summary>
public sealed record InvitationOptions
{
    public const string Section = "Invitations";

    /// <summary>
    /// From creation to the instant acceptance is refused (<c>invitation-expired</c>). A week covers a weekend and a
    /// holiday; a leaked invitation left pending is a standing grant, so it must not be much longer.
    /// </summary>
    public TimeSpan Lifetime { get; init; } = TimeSpan.FromDays(7);
}

public sealed class InvitationOptionsValidator : IValidateOptions<InvitationOptions>
{
    /// <summary>A year: beyond it an invitation outlives every plausible review of who was invited.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(365);

    public ValidateOptionsResult Validate(string? name, InvitationOptions options) =>
        options.Lifetime < TimeSpan.FromSeconds(1) || options.Lifetime > MaxLifetime
            ? ValidateOptionsResult.Fail("Invitations:Lifetime must be between 1 second and 365 days")
            : ValidateOptionsResult.Success;
}
