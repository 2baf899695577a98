using Datacake.Streams.Api.Decoders;
using Datacake.Streams.Api.Devices;
using Datacake.Streams.Api.Hosting;
using Datacake.Streams.Api.Metadata;
using Datacake.Streams.Api.Tokens;
using Datacake.Streams.Api.Users;
using Datacake.Streams.Api.Webhooks;
using Datacake.Streams.Api.Workspaces;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.Access;

/// <summary>Registers and maps the identity and access API (users, workspaces, members, devices, tokens, webhooks, decoders) on nodes with the api role.</summary>
public static class AccessApi
{
    public static IServiceCollection AddAccessApi(this IServiceCollection services, IConfiguration configuration, StreamsOptions streams)
    {
        if (!streams.ParsedRoles.HasFlag(NodeRoles.Api))
        {
            return services;
        }

        services.AddSingleton<IValidateOptions<AccessOptions>, AccessOptionsValidator>();
        services.AddOptions<AccessOptions>().BindConfiguration(AccessOptions.Section).ValidateOnStart();

        // Made at registration, like the node keys, so that operator.token exists as soon as the host is up.
        var access = configuration.GetSection(AccessOptions.Section).Get<AccessOptions>() ?? new AccessOptions();
        services.AddSingleton(OperatorCredential.Load(access, streams.FullDataDirectory));

        services.AddSingleton(sp => SqliteMetadataStore.OpenAsync(streams.FullDataDirectory).GetAwaiter().GetResult());
        services.AddSingleton<IMetadataStore>(sp => sp.GetRequiredService<SqliteMetadataStore>());
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<AccessOptions>>().Value;
            return new FailedAuthenticationLimiter(sp.GetRequiredService<TimeProvider>(), options.FailedAuthenticationBurst, options.FailedAuthenticationRefill);
        });
        services.AddSingleton<CallerResolver>();
        services.AddSingleton<AccessGuard>();
        services.AddSingleton<GrantableDevices>();
        Datacake.Streams.Processing.Hosting.ProcessingServices.AddPayloadDecoders(services, configuration);
        services.AddSingleton<RegistryMirror>();
        services.AddSingleton<DeviceDeletion>();
        services.AddSingleton<IDeviceReadAccess, StoreDeviceReadAccess>();
        services.AddSingleton<IOperatorCheck, OperatorTokenCheck>();
        services.AddSingleton<Datacake.Streams.Api.Backups.IMetadataSnapshot>(sp => sp.GetRequiredService<SqliteMetadataStore>());
        services.AddSingleton<Datacake.Streams.Api.Backups.IDeletedDevices, StoreDeletedDevices>();
        services.AddSingleton<RegistryReconciler>();
        services.AddHostedService(sp => sp.GetRequiredService<RegistryReconciler>());
        return services;
    }

    public static WebApplication MapAccessApi(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<IOptions<StreamsOptions>>().Value.ParsedRoles.HasFlag(NodeRoles.Api))
        {
            return app;
        }

        var v1 = app.MapGroup("/v1").AddEndpointFilter<AccessEndpointFilter>();
        v1.MapUsersApi();
        v1.MapWorkspacesApi();
        v1.MapMembersApi();
        v1.MapDevicesApi();
        v1.MapTokensApi();
        v1.MapWebhooksApi();
        v1.MapDecodersApi();
        v1.MapDecoderTestApi();
        return app;
    }
}
