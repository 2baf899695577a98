using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace Datacake.Streams.IntegrationTests.EndToEnd;

/// <summary>What devices and network servers send, over the host's real HTTP listener.</summary>
internal static class Senders
{
    /// <summary><c>POST /v1/devices/{id}/measurements</c> with the device token; the status and the body.</summary>
    public static async Task<(HttpStatusCode Status, string Body)> MeasurementAsync(HttpClient http, TestDevice device, string body, string? idempotencyKey = null, string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/devices/{device.Id}/measurements")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token ?? device.Token);
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// <c>POST /v1/webhooks/{id}</c> with the webhook token, signed (Standard Webhooks: <c>v1,</c> HMAC-SHA256 over
    /// <c>id.timestamp.body</c>) when the webhook has a secret; <paramref name="webhookId"/> defaults to a new one.
    /// </summary>
    public static async Task<(HttpStatusCode Status, string Body)> WebhookAsync(
        HttpClient http, TestWebhook webhook, string body, string? query = null, string? webhookId = null, DateTimeOffset? signedAt = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/webhooks/{webhook.Id}{query}")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Webhook-Token", webhook.Token);
        if (webhook.Secret is { } secret)
        {
            var id = webhookId ?? "msg_" + Guid.NewGuid().ToString("N");
            var timestamp = (signedAt ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            var key = Convert.FromBase64String(secret["whsec_".Length..]);
            var signature = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}"));
            request.Headers.Add("webhook-id", id);
            request.Headers.Add("webhook-timestamp", timestamp);
            request.Headers.Add("webhook-signature", "v1," + Convert.ToBase64String(signature));
        }

        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// Sends until the answer is 202: a token or webhook made a moment ago reaches ingest through dcs.registry. Until
    /// then each try is a failed authentication, and past the budget a 429 (which the valid token ends once known).
    /// </summary>
    public static async Task AcceptedAsync(Func<Task<(HttpStatusCode Status, string Body)>> send, string what)
    {
        var answer = await Until.Async(send, a => a.Status is not (HttpStatusCode.Unauthorized or HttpStatusCode.NotFound or HttpStatusCode.TooManyRequests), what + " known to ingest");
        Assert.True(answer.Status == HttpStatusCode.Accepted, $"{what}: expected 202, got {(int)answer.Status}: {answer.Body}");
    }
}
