using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.Access;

/// <summary>
/// Runs before every identity-API handler: caps the request body, resolves the caller (401 / 429 otherwise), and turns
/// an <see cref="ApiProblem"/> thrown by the handler into its problem response.
/// </summary>
public sealed class AccessEndpointFilter(CallerResolver resolver, IOptions<AccessOptions> options) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var limit = options.Value.MaxRequestBodyBytes;
        try
        {
            if (http.Request.ContentLength > limit)
            {
                throw ApiProblem.TooLarge(limit);
            }

            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = limit;
            }

            http.Items[typeof(Caller)] = await resolver.ResolveAsync(http, http.RequestAborted);
            return await next(context);
        }
        catch (ApiProblem problem)
        {
            return problem.ToResult(http);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return ApiProblem.TooLarge(limit).ToResult(http);
        }
    }
}

public static class HttpContextAccessExtensions
{
    /// <summary>The caller <see cref="AccessEndpointFilter"/> resolved for this request.</summary>
    public static Caller Caller(this HttpContext context) =>
        context.Items.TryGetValue(typeof(Caller), out var caller) && caller is Caller known
            ? known
            : throw new InvalidOperationException("no caller: the endpoint is not behind AccessEndpointFilter");
}
