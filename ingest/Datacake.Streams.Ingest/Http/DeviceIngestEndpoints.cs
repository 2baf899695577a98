using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Datacake.Streams.Ingest.Http;

public static class DeviceIngestEndpoints
{
    public const string Route = "/v1/devices/{id}/measurements";

    /// <summary>
    /// Maps <c>POST /v1/devices/{id}/measurements</c> when the ingest role's services are registered
    /// (<see cref="IngestServices.AddIngest"/>); on a node without that role it maps nothing.
    /// </summary>
    public static IEndpointRouteBuilder MapDeviceIngestApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.ServiceProvider.GetService(typeof(DeviceIngestHandler)) is null)
        {
            return app;
        }

        app.MapPost(Route, static (HttpContext context, string id, DeviceIngestHandler handler) => handler.HandleAsync(context, id))
            .WithName("PostDeviceMeasurements")
            .WithSummary("Send measurements of one device (device or workspace token with write access); 202 once durable.");
        return app;
    }
}
