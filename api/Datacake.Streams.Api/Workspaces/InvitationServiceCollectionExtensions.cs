using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.Workspaces;

public static class InvitationServiceCollectionExtensions
{
    /// <summary>Invitations and their lifetime (section "Invitations"); needs the identity API (<c>AddAccessApi</c>).</summary>
    public static IServiceCollection AddInvitations(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<InvitationOptions>, InvitationOptionsValidator>();
        services.AddOptions<InvitationOptions>().BindConfiguration(InvitationOptions.Section).ValidateOnStart();
        services.TryAddSingleton<Invitations>();
        return services;
    }
}
