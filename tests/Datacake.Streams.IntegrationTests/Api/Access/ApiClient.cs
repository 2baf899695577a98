using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net;
using System.Text.Json;
using System.Text;

namespace Datacake.Streams.IntegrationTests.Api.Access;

/// <summary>One answer of the API: status, raw body, and the body parsed when it is JSON.</summary>
public sealed record ApiResponse(HttpStatusCode Status, string Body, HttpResponseMessage Message)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    public string Str(string property) => Json.GetProperty(property).GetString()!;
}

/// <summary>Talks JSON to the API with a bearer token and remembers every secret the API hands out (for the at-rest scan).</summary>
public sealed class ApiClient(HttpClient http)
{
    public ConcurrentBag<string> IssuedSecrets { get; } = [];

    public HttpClient Http => http;

    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, string? token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body as string ?? JsonSerializer.Serialize(body, JsonSerializerOptions.Web), Encoding.UTF8, "application/json");
        }

        var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var answer = new ApiResponse(response.StatusCode, text, response);
        Remember(answer);
        return answer;
    }

    public Task<ApiResponse> GetAsync(string path, string? token) => SendAsync(HttpMethod.Get, path, token);

    public Task<ApiResponse> PostAsync(string path, string? token, object? body = null) => SendAsync(HttpMethod.Post, path, token, body ?? new { });

    public Task<ApiResponse> PatchAsync(string path, string? token, object body) => SendAsync(HttpMethod.Patch, path, token, body);

    public Task<ApiResponse> DeleteAsync(string path, string? token) => SendAsync(HttpMethod.Delete, path, token);

    /// <summary>Sends and asserts the status, with the body in the failure message.</summary>
    public async Task<ApiResponse> ExpectAsync(HttpStatusCode status, HttpMethod method, string path, string? token, object? body = null)
    {
        var response = await SendAsync(method, path, token, body ?? (method == HttpMethod.Post ? new { } : null));
        Assert.True(response.Status == status, $"{method} {path}: expected {(int)status}, got {(int)response.Status}: {response.Body}");
        return response;
    }

    private void Remember(ApiResponse answer)
    {
        if (!answer.Message.IsSuccessStatusCode || answer.Body.Length == 0 || answer.Body[0] != '{')
        {
            return;
        }

        foreach (var name in new[] { "token", "secret" })
        {
            if (answer.Json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String)
            {
                IssuedSecrets.Add(value.GetString()!);
            }
        }
    }
}
