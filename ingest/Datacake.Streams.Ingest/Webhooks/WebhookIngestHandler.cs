using Datacake.Streams.Access;
using Datacake.Streams.EdgeAuth;
using Datacake.Streams.Ingest.Publishing;
using Datacake.Streams.Ingest.Quotas;
using Datacake.Streams.Problems;
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
    FailedAuthenticationBudget failures,
    WorkspaceIngestQuota quota,
    TimeProvider timeProvider,
    IOptions<WebhookIngestOptions> options,
    ILogger<WebhookIngestHandler> logger)
{
    public const string TokenHeader = EdgeCredentials.WebhookTokenHeader;

    private readonly WebhookIngestOptions _options = options.Value;

    public async Task HandleAsync(HttpContext context, string webhookId)
    {
        ArgumentNullException.ThrowIfNull(context);
        var token = EdgeCredentials.FromWebhook(context.Request.Headers[TokenHeader], context.Request.Headers.Authorization);
        var receivedAt = timeProvider.GetUtcNow();
        WebhookGrant? webhook = null;
        var authentication = token.IsMissing ? AuthenticationResult.Unknown : registry.AuthenticateWebhook(webhookId, token.Text, receivedAt, out webhook);
        if (authentication == AuthenticationResult.Disabled)
        {
            // 423: the credentials are right and the resource exists, but its owner has locked it for now; nothing is
            // stored. Only a caller with the right token learns that the webhook is paused.
            await WebhookProblem.WriteAsync(context, StatusCodes.Status423Locked, ProblemTypes.WebhookDisabled,
                "Webhook paused", "this webhook is paused and stores nothing; its workspace resumes it with POST /v1/webhooks/{id}/resume");
            return;
        }

        if (authentication != AuthenticationResult.Ok || webhook is null)
        {
            // Unknown webhook, wrong token and no token look the same: which webhook ids exist is not revealed.
            if (await RefusedForFailuresAsync(context, webhookId))
            {
                return;
            }

            await WebhookProblem.WriteAsync(context, StatusCodes.Status401Unauthorized, ProblemTypes.WebhookUnauthorized,
                "Not authenticated", $"present the webhook's token in {TokenHeader} or Authorization: Bearer");
            return;
        }

        await HandleAuthenticatedAsync(context, webhook, token.Hash(), receivedAt);
    }

    /// <summary>
    /// Counts a failed authentication against this webhook's budget from the client's address; true (and 429 written)
    /// when it was already spent. Only failures get here: a sender with the right token is never refused for others'.
    /// </summary>
    private async Task<bool> RefusedForFailuresAsync(HttpContext context, string webhookId)
    {
        if (failures.TrySpend(context.Connection.RemoteIpAddress, FailureScope.Webhook(webhookId), out var retryAfter))
        {
            return false;
        }

        await WebhookProblem.WriteAsync(context, StatusCodes.Status429TooManyRequests, ProblemTypes.TooManyFailedAuthentications,
            "Too many failed authentications", "this webhook failed to authenticate too often from this address; retry later", retryAfter: retryAfter);
        return true;
    }
}
