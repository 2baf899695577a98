using Datacake.Streams.Api.Access;
using Microsoft.AspNetCore.Http.Features;

namespace Datacake.Streams.Api.Devices;

/// <summary>Body of a confirmed <c>DELETE /v1/devices/{id}</c>: the one-time code the warning handed out.</summary>
public sealed record DeleteDeviceRequest(string? Confirm);

/// <summary>
/// Where a deletion's confirmation code may travel: the <c>Confirmation-Code</c> header or the JSON body, never the
/// URL, because a query string lands in proxies' and servers' request logs while the code is still good.
/// </summary>
public static class DeletionConfirmationCode
{
    public const string Header = "Confirmation-Code";

    private const string QueryParameter = "confirm";

    /// <summary>The presented code, or null for none; a 400 problem when it came in the query string.</summary>
    public static async Task<string?> ReadAsync(HttpContext context, CancellationToken cancellationToken)
    {
        if (context.Request.Query.ContainsKey(QueryParameter))
        {
            throw ApiProblem.Invalid(
                $"The confirmation code must not travel in the URL (request logs keep it): send it in the {Header} header or as {{\"confirm\": \"...\"}} in the body.");
        }

        if (context.Request.Headers[Header].ToString() is { Length: > 0 } header)
        {
            return header;
        }

        if (context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true)
        {
            return (await JsonBody.ReadAsync<DeleteDeviceRequest>(context, cancellationToken)).Confirm;
        }

        return null;
    }
}
