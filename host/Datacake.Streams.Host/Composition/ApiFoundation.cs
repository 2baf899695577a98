using Datacake.Streams.Hosting;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Decoders;
using Datacake.Streams.Api.Devices;
using Datacake.Streams.Api.Workspaces;
using Datacake.Streams.Backups;
using Datacake.Streams.Processing.Hosting;

namespace Datacake.Streams.Hosting.Composition;

/// <summary>What the api role's features stand on, wired across projects: access and the metadata store, backups,
/// device deletion, invitations, and the decoder dry run and decoder states answered by processing's decoders.</summary>
internal static class ApiFoundation
{
    public static IServiceCollection AddApiFoundation(this IServiceCollection services, IConfiguration configuration, string dataDirectory)
    {
        services.AddAccessApi(configuration, dataDirectory);
        services.AddSingleton<DeviceDeletion>();
        services.AddInvitations();
        services.AddPayloadDecoders();
        services.AddSingleton<IDecoderDryRun, ProcessingDecoderDryRun>();
        services.AddSingleton<IDecoderStates, ProcessingDecoderStates>();
        services.AddDecoderApi();
        services.AddBackups(dataDirectory);
        return services;
    }
}
