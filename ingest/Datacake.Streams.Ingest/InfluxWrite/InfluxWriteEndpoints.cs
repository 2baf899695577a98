using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Datacake.Streams.Ingest.InfluxWrite;

public static class InfluxWriteEndpoints
{
    public const string V1Route = "/write";
    public const string V2Route = "/api/v2/write";

    /// <summary>
    /// Maps InfluxDB's write endpoints, <c>POST /write</c> and <c>POST /api/v2/write</c>, when the ingest role's services
    /// are registered (<see cref="IngestServices.AddIngest"/>); on a node without that role it maps nothing.
    /// </summary>
    public static IEndpointRouteBuilder MapInfluxWriteApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.ServiceProvider.GetService(typeof(InfluxWriteHandler)) is null)
        {
            return app;
        }

        app.MapPost(V1Route, static (HttpContext context, InfluxWriteHandler handler) => handler.HandleAsync(context, InfluxDialect.V1))
            .WithName("InfluxWriteV1")
            .WithSummary("InfluxDB 1.x line-protocol write (db, precision, rp; device token as password, u/p, Basic or Token); 204 once durable.");
        app.MapPost(V2Route, static (HttpContext context, InfluxWriteHandler handler) => handler.HandleAsync(context, InfluxDialect.V2))
            .WithName("InfluxWriteV2")
            .WithSummary("InfluxDB 2.x line-protocol write (org, bucket, precision; Authorization: Token <device token>); 204 once durable.");
        return app;
    }
}
