using Datacake.Streams.Payloads.Networks;
using System.Buffers;
using System.Text.Unicode;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Ingest.Publishing;
using Datacake.Streams.Payloads.ChirpStack;
using Datacake.Streams.Payloads.Envelopes;
using Datacake.Streams.Payloads.Helium;
using Datacake.Streams.Payloads.Particle;
using Datacake.Streams.Payloads.TheThingsStack;
using Datacake.Streams.Records;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

using Datacake.Streams.Problems;

namespace Datacake.Streams.Ingest.Webhooks;

// After authentication: size, media type, body, signature, parsing, routing, the append.
public sealed partial class WebhookIngestHandler
{
    private const string FormMediaType = "application/x-www-form-urlencoded";

    private async Task HandleAuthenticatedAsync(HttpContext context, WebhookGrant webhook, TokenHash fingerprint, DateTimeOffset receivedAt)
    {
        var request = context.Request;
        if (request.ContentLength > _options.MaxBodyBytes)
        {
            await TooLargeAsync(context);
            return;
        }

        if (!TryMediaType(request.ContentType, webhook.Kind, out var isForm))
        {
            await WebhookProblem.WriteAsync(context, StatusCodes.Status415UnsupportedMediaType, ProblemTypes.UnsupportedMediaType,
                "Unsupported media type",
                webhook.Kind == WebhookKind.Particle ? $"send application/json or {FormMediaType} (UTF-8)" : "send application/json (UTF-8)");
            return;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(_options.MaxBodyBytes + 1, (int?)request.ContentLength + 1 ?? 16 * 1024));
        try
        {
            var (body, length) = await ReadBodyAsync(request.Body, buffer, context.RequestAborted);
            buffer = body;
            if (length > _options.MaxBodyBytes)
            {
                await TooLargeAsync(context);
                return;
            }

            await HandleBodyAsync(context, webhook, fingerprint, receivedAt, isForm, body.AsMemory(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task HandleBodyAsync(HttpContext context, WebhookGrant webhook, TokenHash fingerprint, DateTimeOffset receivedAt, bool isForm, ReadOnlyMemory<byte> body)
    {
        string? signedMessageId = null;
        // An empty key is treated as none: HMAC with an empty key authenticates nothing, and a null byte[] assigned
        // to the ReadOnlyMemory<byte>? property arrives as empty memory, not null (C# converts null through T[]).
        if (webhook.SigningSecret is { IsEmpty: false } secret)
        {
            var headers = context.Request.Headers;
            var webhookMessageId = headers[StandardWebhookSignature.IdHeader].ToString();
            var timestamp = headers[StandardWebhookSignature.TimestampHeader].ToString();
            var signatures = headers[StandardWebhookSignature.SignatureHeader].ToString();
            var check = StandardWebhookSignature.Verify(secret.Span, webhookMessageId, timestamp, signatures, body.Span, receivedAt, _options.SignatureTolerance);

            // During a rotation's overlap a sender still configured with the replaced key is accepted too.
            if (check == SignatureCheck.Mismatch && webhook.PreviousSigningSecretAt(receivedAt) is { } previous)
            {
                check = StandardWebhookSignature.Verify(previous.Span, webhookMessageId, timestamp, signatures, body.Span, receivedAt, _options.SignatureTolerance);
            }

            if (check != SignatureCheck.Valid)
            {
                if (await RefusedForFailuresAsync(context, webhook.WebhookId))
                {
                    return;
                }

                await WebhookProblem.WriteAsync(context, StatusCodes.Status401Unauthorized, ProblemTypes.WebhookSignatureInvalid,
                    "Invalid webhook signature", SignatureDetail(check), [new("reason", check.ToString().ToLowerInvariant())]);
                return;
            }

            signedMessageId = webhookMessageId;
        }

        if (!Utf8.IsValid(body.Span))
        {
            await MalformedAsync(context, WebhookMessage.Malformed("$", "the body is not valid UTF-8"));
            return;
        }

        var message = Parse(webhook.Kind, body.Span, isForm, context.Request.Query["event"].ToString());
        switch (message.Outcome)
        {
            case WebhookMessageOutcome.Malformed:
                await MalformedAsync(context, message);
                return;
            case WebhookMessageOutcome.Ignored:
                // Acknowledged so the sender does not retry or disable the integration; nothing is stored.
                context.Response.StatusCode = StatusCodes.Status204NoContent;
                context.Response.Headers["X-Webhook-Ignored"] = message.IgnoredEvent;
                return;
        }

        if (!TryRoute(webhook, message, receivedAt, out var device))
        {
            var (name, value) = message.DevEui is { } eui ? ("devEui", eui)
                : message.ParticleId is { } particle ? ("particleId", particle)
                : ("deviceId", message.DeviceIdHint ?? "");
            var label = name == "devEui" ? "DevEUI" : name == "particleId" ? "Particle device id" : "device id";
            await WebhookProblem.WriteAsync(context, StatusCodes.Status404NotFound, ProblemTypes.UnknownDevice,
                "Unknown device", $"no device with {label} {value} is bound to this webhook", [new(name, value)]);
            return;
        }

        // One uplink is one point of the device's workspace quota; checked last, so a refused message spends none.
        if (!quota.TryAdmit(device, 1, out var quotaWait))
        {
            await WebhookProblem.WriteAsync(context, StatusCodes.Status429TooManyRequests, ProblemTypes.QuotaExceeded,
                "Ingest quota exceeded", "the device's workspace sends more points per second than its quota; the message was not stored", retryAfter: quotaWait);
            return;
        }

        // Only the allow-listed fields are stored (Payloads/Networks/RecordPayload): names, locations, tenant and
        // gateway ids of the body never reach the log. The parser accepted the body, so this fails only on a bug.
        var payload = RecordPayload.Build(webhook.Kind, message.NormalizedPayload is { } normalized ? normalized : body, message.DevEui ?? message.ParticleId);
        if (payload is null)
        {
            await MalformedAsync(context, WebhookMessage.Malformed("$", "the body could not be read as the sender's JSON"));
            return;
        }

        var record = new RawRecord
        {
            DeviceId = device,
            Source = SourceOf(webhook.Kind),
            ReceivedAtUnixNs = (receivedAt - DateTimeOffset.UnixEpoch).Ticks * 100,
            DeviceTimeUnixNs = message.DeviceTimeUnixNs,
            MessageId = message.MessageId,
            FrameCounter = message.FrameCounter,
            Session = message.Session,
            Port = message.Port,
            PayloadKind = PayloadKind.UplinkFields,
            Payload = payload,
            Credential = fingerprint,
            CredentialKind = CredentialKind.Webhook,
            WebhookMessageId = signedMessageId,
            RouteId = webhook.WebhookId,
        };

        if (await appender.AppendAsync(record, context.RequestAborted) == AppendOutcome.Unavailable)
        {
            LogUnavailable(logger, webhook.WebhookId);
            await WebhookProblem.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, ProblemTypes.LogUnavailable,
                "Temporarily unavailable", "the message was not stored; send it again", retryAfter: _options.UnavailableRetryAfter);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status202Accepted;
    }

    internal static WebhookMessage Parse(WebhookKind kind, ReadOnlySpan<byte> body, bool isForm, string? eventType) => kind switch
    {
        WebhookKind.Tts => TtsUplinkParser.Parse(body),
        WebhookKind.ChirpStack => ChirpStackEventParser.Parse(body, eventType),
        WebhookKind.Helium => HeliumUplinkParser.Parse(body),
        WebhookKind.Particle => isForm ? ParticleEventParser.ParseForm(body) : ParticleEventParser.ParseJson(body),
        _ => WebhookMessage.Malformed("$", "unsupported webhook kind"),
    };

    private bool TryRoute(WebhookGrant webhook, WebhookMessage message, DateTimeOffset receivedAt, out DeviceId device)
    {
        DeviceEntry? entry = null;
        var found = (message.DevEui is { } eui && registry.FindDeviceByDevEui(webhook.WebhookId, eui, out entry))
            || (message.ParticleId is { } particle && registry.FindDeviceByParticleId(webhook.WebhookId, particle, out entry));
        if (found && entry is not null)
        {
            device = entry.Id;
            return true;
        }

        // The sender's own device id field may hold ours (a TTS device registered as dev_…): bound devices only.
        if (message.DeviceIdHint is { } hint && DeviceId.TryParse(hint, out var id) && registry.CanWrite(webhook, id, receivedAt))
        {
            device = id;
            return true;
        }

        device = default;
        return false;
    }

    private static SourceKind SourceOf(WebhookKind kind) => kind switch
    {
        WebhookKind.Tts => SourceKind.Tts,
        WebhookKind.ChirpStack => SourceKind.ChirpStack,
        WebhookKind.Helium => SourceKind.Helium,
        WebhookKind.Particle => SourceKind.Particle,
        _ => SourceKind.Unspecified,
    };

    private static bool TryMediaType(string? contentType, WebhookKind kind, out bool isForm)
    {
        isForm = false;
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media) || media.MediaType.Value is not { } type)
        {
            return false;
        }

        if (media.Charset.HasValue && !media.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (type.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (type.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && type.EndsWith("+json", StringComparison.OrdinalIgnoreCase)))
        {
            return true;
        }

        isForm = kind == WebhookKind.Particle && type.Equals(FormMediaType, StringComparison.OrdinalIgnoreCase);
        return isForm;
    }

    /// <summary>Reads the body into pooled arrays, growing to at most MaxBodyBytes + 1 (one byte past tells "too large").</summary>
    private async Task<(byte[] Buffer, int Length)> ReadBodyAsync(Stream body, byte[] buffer, CancellationToken cancellationToken)
    {
        var length = 0;
        var limit = _options.MaxBodyBytes + 1;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (length >= limit)
                {
                    return (buffer, length);
                }

                var larger = ArrayPool<byte>.Shared.Rent(Math.Min(limit, buffer.Length * 2));
                buffer.AsSpan(0, length).CopyTo(larger);

                // The smaller array goes to the GC, not back to the pool: the caller returns whichever array it got
                // last, and on a failed read it still holds the first one.
                buffer = larger;
            }

            var read = await body.ReadAsync(buffer.AsMemory(length, Math.Min(buffer.Length, limit) - length), cancellationToken);
            if (read == 0)
            {
                return (buffer, length);
            }

            length += read;
            if (length >= limit)
            {
                return (buffer, length);
            }
        }
    }

    private Task TooLargeAsync(HttpContext context) =>
        WebhookProblem.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, ProblemTypes.BodyTooLarge,
            "Body too large", $"webhook bodies are limited to {_options.MaxBodyBytes} bytes");

    private static Task MalformedAsync(HttpContext context, WebhookMessage message) =>
        WebhookProblem.WriteAsync(context, StatusCodes.Status400BadRequest, ProblemTypes.MalformedBody,
            "Malformed body", $"{message.ErrorPath}: {message.ErrorDetail}", [new("path", message.ErrorPath ?? "$")]);

    private static string SignatureDetail(SignatureCheck check) => check switch
    {
        SignatureCheck.Missing => "this webhook signs its messages: send webhook-id, webhook-timestamp and webhook-signature",
        SignatureCheck.Stale => "webhook-timestamp is more than the allowed tolerance away from now",
        _ => "no signature in webhook-signature matches the message",
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {WebhookId}: the record log cannot take messages; answered 503")]
    private static partial void LogUnavailable(ILogger logger, string webhookId);
}
