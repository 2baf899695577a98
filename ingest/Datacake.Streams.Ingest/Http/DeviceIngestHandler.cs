using System.Buffers;
using System.IO.Pipelines;
using Datacake.Streams.Access;
using Datacake.Streams.EdgeAuth;
using Datacake.Streams.Ids;
using Datacake.Streams.Ingest.Publishing;
using Datacake.Streams.Ingest.Quotas;
using Datacake.Streams.Payloads.JsonValues;
using Datacake.Streams.Problems;
using Datacake.Streams.Records;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Datacake.Streams.Ingest.Http;

/// <summary>
/// HTTP device ingest: authenticate the bearer token, check its scope on the device, check the body's structure,
/// take its points from the workspace's ingest quota, append one raw record holding the body bytes, answer 202 once it
/// is durable. Every refusal happens before the
/// append, so a refused request stores nothing.
/// </summary>
/// <remarks>
/// Scope answers: a device the token cannot see at all (unknown, deleted, or outside its workspaces and device list)
/// is 404, the same answer for all three so that a token cannot probe which device ids exist; a device it may read but
/// not write is 403.
/// </remarks>
public sealed class DeviceIngestHandler(
    RegistryView registry,
    RawRecordAppender appender,
    IOptions<HttpIngestOptions> options,
    FailedAuthenticationBudget failures,
    TokenRateLimiter tokenLimiter,
    WorkspaceIngestQuota quota,
    TimeProvider timeProvider)
{
    public const int MaxIdempotencyKeyLength = 200;

    private readonly HttpIngestOptions _options = options.Value;

    public async Task<IResult> HandleAsync(HttpContext context, string id)
    {
        var now = timeProvider.GetUtcNow();
        var refused = Authenticate(context, now, out var fingerprint, out var grant);
        if (refused is not null)
        {
            // Only a failure is weighed against the budget, and only this device's from this address: a valid token is
            // never refused because of other clients' failures behind the same address.
            context.Response.Headers.WWWAuthenticate = EdgeCredentials.BearerScheme;
            if (!failures.TrySpend(context.Connection.RemoteIpAddress, FailureScope.Device(id), out var retryAfter))
            {
                return IngestProblem.WithRetryAfter(context, retryAfter, IngestProblem.Create(
                    ProblemTypes.TooManyFailedAuthentications, StatusCodes.Status429TooManyRequests, "Too many failed authentications",
                    "Too many bad tokens for this device from this address; wait for Retry-After."));
            }

            return refused;
        }

        if (!tokenLimiter.TryAcquire(fingerprint, out var limitedFor))
        {
            return IngestProblem.WithRetryAfter(context, limitedFor, IngestProblem.Create(
                ProblemTypes.RateLimited, StatusCodes.Status429TooManyRequests, "Rate limit", "This token sends faster than its limit."));
        }

        if (!DeviceId.TryParse(id, out var device) || !registry.CanWrite(grant!, device, now))
        {
            return DeviceId.TryParse(id, out device) && registry.CanRead(grant!, device, now)
                ? IngestProblem.Create(ProblemTypes.Forbidden, StatusCodes.Status403Forbidden, "Forbidden", "The token may read this device but not write it.")
                : IngestProblem.Create(ProblemTypes.DeviceNotFound, StatusCodes.Status404NotFound, "Device not found", "No device with this id is visible to the token.");
        }

        if (!IsJson(context.Request.ContentType))
        {
            return IngestProblem.Create(ProblemTypes.UnsupportedMediaType, StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Send Content-Type: application/json.");
        }

        var idempotencyKey = context.Request.Headers["Idempotency-Key"];
        if (!TryIdempotencyKey(idempotencyKey, out var messageId))
        {
            return IngestProblem.Create(ProblemTypes.InvalidIdempotencyKey, StatusCodes.Status400BadRequest, "Invalid Idempotency-Key",
                $"One Idempotency-Key of 1-{MaxIdempotencyKeyLength} printable ASCII characters.");
        }

        if (context.Request.ContentLength > _options.MaxBodyBytes)
        {
            return TooLarge();
        }

        var body = await RequestBody.ReadAsync(context.Request.BodyReader, _options.MaxBodyBytes, context.RequestAborted).ConfigureAwait(false);
        if (body.Array is null)
        {
            return TooLarge();
        }

        try
        {
            var content = body.Array.AsMemory(0, body.Length);
            var check = MeasurementBody.Check(content.Span, _options.MaxEntries);
            if (!check.IsValid)
            {
                return IngestProblem.Create(ProblemTypes.InvalidBody, StatusCodes.Status400BadRequest, "Invalid measurement body", check.Detail,
                    new Dictionary<string, object?> { ["path"] = check.Path, ["error"] = check.Error.ToString() });
            }

            // Last check before the append: a body refused for anything else spends no quota.
            if (!quota.TryAdmit(device, check.Entries, out var quotaWait))
            {
                return IngestProblem.WithRetryAfter(context, quotaWait, IngestProblem.Create(
                    ProblemTypes.QuotaExceeded, StatusCodes.Status429TooManyRequests, "Ingest quota exceeded",
                    "The device's workspace sends more points per second than its quota; nothing was stored. Retry after Retry-After."));
            }

            var record = new RawRecord
            {
                DeviceId = device,
                Source = SourceKind.Http,
                ReceivedAtUnixNs = (now - DateTimeOffset.UnixEpoch).Ticks * 100,
                DeviceTimeUnixNs = check.DeviceTimeUnixNs,
                MessageId = messageId,
                PayloadKind = PayloadKind.JsonValues,
                Payload = content,
                Credential = fingerprint,
                CredentialKind = CredentialKind.Token,
            };

            // Not the request's abort token: once the append started, let it finish so the outcome is known and logged.
            var outcome = await appender.AppendAsync(record, CancellationToken.None).ConfigureAwait(false);
            if (outcome != AppendOutcome.Durable)
            {
                return IngestProblem.WithRetryAfter(context, _options.UnavailableRetryAfterSeconds, IngestProblem.Create(
                    ProblemTypes.LogUnavailable, StatusCodes.Status503ServiceUnavailable, "Temporarily unavailable",
                    "Nothing was stored; retry with the same Idempotency-Key."));
            }

            return new AcceptedMeasurements(check.Entries);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body.Array);
        }
    }

    private IResult TooLarge() => IngestProblem.Create(ProblemTypes.BodyTooLarge, StatusCodes.Status413PayloadTooLarge, "Body too large",
        $"At most {_options.MaxBodyBytes} bytes per request.", new Dictionary<string, object?> { ["limit"] = _options.MaxBodyBytes });

    private IResult? Authenticate(HttpContext context, DateTimeOffset now, out TokenHash fingerprint, out TokenGrant? grant)
    {
        fingerprint = default;
        grant = null;
        var token = EdgeCredentials.FromAuthorization(context.Request.Headers.Authorization);
        if (token.IsMissing)
        {
            return IngestProblem.Create(ProblemTypes.TokenMissing, StatusCodes.Status401Unauthorized, "Token required", "Send Authorization: Bearer <token>.");
        }

        // Format and checksum first: a typo or garbage never costs a hash and a lookup.
        if (!token.IsWellFormed)
        {
            return IngestProblem.Create(ProblemTypes.TokenMalformed, StatusCodes.Status401Unauthorized, "Malformed token", "This is not a dcs_ token (prefix, length or checksum).");
        }

        fingerprint = token.Hash();
        var result = registry.AuthenticateFingerprint(fingerprint, now, out grant);
        if (result != AuthenticationResult.Ok)
        {
            return IngestProblem.Create(ProblemTypes.TokenRefused, StatusCodes.Status401Unauthorized, "Token refused",
                "The token is unknown, revoked, disabled or expired.", new Dictionary<string, object?> { ["reason"] = ReasonName(result) });
        }

        return null;
    }

    private static string ReasonName(AuthenticationResult result) => result switch
    {
        AuthenticationResult.Revoked => "revoked",
        AuthenticationResult.Disabled => "disabled",
        AuthenticationResult.Expired => "expired",
        _ => "unknown",
    };

    internal static bool IsJson(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return false;
        }

        var media = contentType.AsSpan();
        var semicolon = media.IndexOf(';');
        if (semicolon >= 0)
        {
            media = media[..semicolon];
        }

        media = media.Trim();
        return media.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (media.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && media.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }

    internal static bool TryIdempotencyKey(StringValues header, out string? key)
    {
        key = null;
        if (header.Count == 0)
        {
            return true;
        }

        if (header.Count != 1 || header[0] is not { Length: > 0 and <= MaxIdempotencyKeyLength } value)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c is < '!' or > '~')
            {
                return false;
            }
        }

        key = value;
        return true;
    }
}
