using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Datacake.Streams.Cli;

/// <summary>An answer of the API: status, and the JSON body when there is one.</summary>
public sealed record ApiAnswer(int Status, JsonNode? Body)
{
    public int ExitCode => ExitCodes.FromStatus(Status);

    /// <summary>What went wrong, for a person: the problem body's title and detail, with what to do about a refused token.</summary>
    public string Describe()
    {
        var problem = Body as JsonObject;
        var title = problem?["title"] is JsonValue t && t.TryGetValue<string>(out var text) ? text : null;
        var detail = problem?["detail"] is JsonValue d && d.TryGetValue<string>(out var more) ? more : null;
        var what = (title, detail) switch
        {
            (null, null) => Body is JsonValue raw && raw.TryGetValue<string>(out var body) && body.Length > 0 ? $"HTTP {Status}: {Shorten(body)}" : $"HTTP {Status}",
            (_, null) => $"HTTP {Status}: {title}",
            (null, _) => $"HTTP {Status}: {detail}",
            _ => $"HTTP {Status}: {title}: {detail}",
        };
        return Status switch
        {
            0 => $"the API did not answer ({detail ?? "no answer"}): check --url or DCS_API_URL",
            401 or 403 => $"the API refused the operator token ({what}): check DCS_OPERATOR_TOKEN or --token-file",
            _ => what,
        };
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "...";
}

/// <summary>The HTTP API with the operator token.</summary>
public sealed class ApiClient(Uri baseUrl, string token) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = baseUrl, Timeout = TimeSpan.FromMinutes(30) };

    public static string? ReadToken(string? tokenFile)
    {
        if (!string.IsNullOrEmpty(tokenFile))
        {
            return File.Exists(tokenFile) ? File.ReadAllText(tokenFile).Trim() : null;
        }

        return Environment.GetEnvironmentVariable("DCS_OPERATOR_TOKEN") is { Length: > 0 } token ? token.Trim() : null;
    }

    public Task<ApiAnswer> GetAsync(string path, CancellationToken cancellationToken) => SendAsync(HttpMethod.Get, path, null, cancellationToken);

    public Task<ApiAnswer> PostAsync(string path, object? body, CancellationToken cancellationToken) => SendAsync(HttpMethod.Post, path, body, cancellationToken);

    public Task<ApiAnswer> PutAsync(string path, object? body, CancellationToken cancellationToken) => SendAsync(HttpMethod.Put, path, body, cancellationToken);

    public void Dispose() => _http.Dispose();

    private async Task<ApiAnswer> SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
        {
            request.Content = new StringContent(JsonSerializer.Serialize(body, JsonSerializerOptions.Web), Encoding.UTF8, "application/json");
        }

        try
        {
            using var response = await _http.SendAsync(request, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            JsonNode? json = null;
            if (text.Length > 0)
            {
                try
                {
                    json = JsonNode.Parse(text);
                }
                catch (JsonException)
                {
                    json = JsonValue.Create(text);
                }
            }

            return new ApiAnswer((int)response.StatusCode, json);
        }
        catch (HttpRequestException ex)
        {
            return new ApiAnswer(0, new JsonObject { ["title"] = "The API did not answer", ["detail"] = ex.Message });
        }
    }
}
