using Datacake.Streams.Api.Access;
using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Metadata;

namespace Datacake.Streams.Api.Queries;

/// <summary>
/// 200 with a <see cref="SeriesAnswer"/> whose points <see cref="SeriesPointJsonConverter"/> writes. Kept out of the
/// host's JSON options on purpose: there the OpenAPI document still describes <see cref="SeriesPoint"/> field by field
/// (a converter on the type would make its schema opaque).
/// </summary>
public sealed class SeriesJsonResult(SeriesAnswer answer) : IResult, IEndpointMetadataProvider, IStatusCodeHttpResult, IValueHttpResult, IValueHttpResult<SeriesAnswer>
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web) { Converters = { new SeriesPointJsonConverter() } };

    public SeriesAnswer Value => answer;

    object? IValueHttpResult.Value => answer;

    public int? StatusCode => StatusCodes.Status200OK;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = StatusCodes.Status200OK;
        return httpContext.Response.WriteAsJsonAsync(answer, s_json, httpContext.RequestAborted);
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(SeriesAnswer), ["application/json"]));
}
