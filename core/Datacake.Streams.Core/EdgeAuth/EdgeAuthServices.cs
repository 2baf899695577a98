using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.EdgeAuth;

public static class EdgeAuthServices
{
    /// <summary>
    /// The one <see cref="FailedAuthenticationBudget"/> of the process, whichever roles register it (ingest and api both
    /// do; the first registration wins). Bind the returned builder to <see cref="FailedAuthenticationOptions.Section"/>.
    /// </summary>
    public static OptionsBuilder<FailedAuthenticationOptions> AddFailedAuthenticationBudget(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FailedAuthenticationOptions>, FailedAuthenticationOptionsValidator>());
        services.TryAddSingleton(sp => new FailedAuthenticationBudget(
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<FailedAuthenticationOptions>>().Value));
        return services.AddOptions<FailedAuthenticationOptions>();
    }
}
