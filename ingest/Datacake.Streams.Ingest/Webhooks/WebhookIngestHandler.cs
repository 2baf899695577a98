using Datacake.Streams.Access;
using Datacake.Streams.Ingest.Publishing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Ingest.Webhooks;

/// <summary>
/// <c>POST /v1/webhooks/{id}</c>: authenticates the webhook (token, then signature when it has a secret), parses the
/// sender's message, finds the bound device and appends one raw record; 202 only once the record is durable.
/// Every refusal is a problem response and appends nothing.
/// </summary>
public sealed partial class WebhookIngestHandler(
    RegistryView registry,
    RawRecordAppender appender,
    FailedAuthenticationLimiter limiter,
    TimeProvider timeProvider,
    IOptions<WebhookIngestOptions> options,
    ILogger<WebhookIngestHandler> logger)
{
    public const string TokenHeader = "X-Webhook-Token";

    private readonly WebhookIngestOptions _options = options.Value;

    public async Task HandleAsync(HttpContext context, string webhookId)
    {
        ArgumentNullException.ThrowIfNull(context);
        var client = context.Connection.RemoteIpAddress;
        if (limiter.IsBlocked(client, out var retryAfter))
        {
            await WebhookProblem.WriteAsync(context, StatusCodes.Status429TooManyRequests, WebhookProblem.TooManyFailures,
                "Too many failed authentications", "this address failed to authenticate too often; retry later", retryAfter: retryAfter);
            return;
        }

        var token = PresentedToken(context.Request);
        var receivedAt = timeProvider.GetUtcNow();
        WebhookGrant? webhook = null;
        var authentication = token is null ? AuthenticationResult.Unknown : registry.AuthenticateWebhook(webhookId, token, receivedAt, out webhook);
        if (authentication == AuthenticationResult.Disabled)
        {
            await WebhookProblem.WriteAsync(context, StatusCodes.Status403Forbidden, WebhookProblem.Disabled,
                "Webhook disabled", "this webhook is paused; enable it to accept messages again");
            return;
        }

        if (authentication != AuthenticationResult.Ok || webhook is null)
        {
            // Unknown webhook, wrong token and no token look the same: which webhook ids exist is not revealed.
            limiter.RecordFailure(client);
            await WebhookProblem.WriteAsync(context, StatusCodes.Status401Unauthorized, WebhookProblem.Unauthorized,
                "Not authenticated", $"present the webhook's token in {TokenHeader} or Authorization: Bearer");
            return;
        }

        await HandleAuthenticatedAsync(context, webhook, token!, receivedAt);
    }

    private static string? PresentedToken(HttpRequest request)
    {
        var header = request.Headers[TokenHeader];
        if (header.Count == 1 && !string.IsNullOrEmpty(header[0]))
        {
            return header[0]!.Trim();
        }

        var authorization = request.Headers.Authorization;
        if (authorization.Count == 1 && authorization[0] is { } value && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return value[7..].Trim();
        }

        return null;
    }
}
