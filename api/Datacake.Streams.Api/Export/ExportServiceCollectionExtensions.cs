using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Metadata;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.Export;

public static class ExportServiceCollectionExtensions
{
    /// <summary>
    /// The workspace export (section "Export"). Its access comes from identity when the identity API is registered
    /// (<see cref="CallerResolver"/>); without it every export is refused as unauthenticated (closed by default).
    /// </summary>
    public static IServiceCollection AddWorkspaceExport(this IServiceCollection services)
    {
        services.AddSingleton<IValidateOptions<ExportOptions>, ExportOptionsValidator>();
        services.AddOptions<ExportOptions>().BindConfiguration(ExportOptions.Section).ValidateOnStart();
        services.TryAddSingleton<WorkspaceExporter>();
        services.TryAddSingleton<IWorkspaceExportAccess>(sp => sp.GetService<CallerResolver>() is { } resolver
            ? new StoreWorkspaceExportAccess(resolver, sp.GetRequiredService<AccessGuard>(), sp.GetRequiredService<IMetadataStore>())
            : new ClosedExportAccess());
        return services;
    }

    private sealed class ClosedExportAccess : IWorkspaceExportAccess
    {
        public ValueTask<ExportScope> ResolveAsync(HttpContext context, string workspaceId, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new ExportScope(ExportScopeStatus.Unauthenticated));
    }
}
