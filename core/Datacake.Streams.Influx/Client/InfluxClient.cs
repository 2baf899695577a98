using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Datacake.Streams.Influx.Client;

/// <summary>
/// Client for the InfluxDB 1.x HTTP API: <c>/write</c> (line protocol, ns precision), <c>/query</c> (InfluxQL)
/// and <c>/ping</c>. Thread-safe. Retries network errors, timeouts and 5xx with exponential backoff and jitter;
/// never retries 4xx, nor a missing database or retention policy (a configuration error).
/// The options are taken as valid: <see cref="InfluxOptionsValidator"/> checks them when the host starts.
/// </summary>
public sealed partial class InfluxClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly AuthenticationHeaderValue? _authorization;
    private readonly string _baseUrl;

    /// <summary>A client with its own connection pool.</summary>
    public InfluxClient(InfluxOptions options, TimeProvider? timeProvider = null, ILogger<InfluxClient>? logger = null)
        : this(CreateHttpClient(), options, timeProvider, logger, ownsHttp: true)
    {
    }

    /// <summary>A client over a caller-owned <see cref="HttpClient"/> (e.g. from IHttpClientFactory); its BaseAddress is ignored.</summary>
    public InfluxClient(HttpClient httpClient, InfluxOptions options, TimeProvider? timeProvider = null, ILogger<InfluxClient>? logger = null)
        : this(httpClient, options, timeProvider, logger, ownsHttp: false)
    {
    }

    private InfluxClient(HttpClient httpClient, InfluxOptions options, TimeProvider? timeProvider, ILogger<InfluxClient>? logger, bool ownsHttp)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(options);
        _http = httpClient;
        _ownsHttp = ownsHttp;
        Options = options;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _baseUrl = options.Url.AbsoluteUri.TrimEnd('/') + "/";
        if (options.User is not null)
        {
            string credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{options.User}:{options.Password}"));
            _authorization = new AuthenticationHeaderValue("Basic", credentials);
        }
    }

    public InfluxOptions Options { get; }

    /// <summary>Checks that influxd answers; returns its version and the round trip. Not retried: it is a probe.</summary>
    public async Task<InfluxPing> PingAsync(CancellationToken cancellationToken = default)
    {
        long started = _timeProvider.GetTimestamp();
        InfluxResponse response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, _baseUrl + "ping"), retry: false, cancellationToken).ConfigureAwait(false);
        if (response.Failure is not null)
        {
            throw new InfluxException(InfluxErrorKind.Unavailable, $"InfluxDB at {Options.Url} did not answer the ping: {response.Failure.Message}", attempts: response.Attempts, innerException: response.Failure);
        }

        if (response.Status is < 200 or > 299)
        {
            string error = ErrorText(response.Body);
            InfluxErrorKind kind = WriteErrorAnalysis.Classify(response.Status, error);
            throw new InfluxException(kind, $"InfluxDB ping answered HTTP {response.Status}: {error}", response.Status, error, response.Attempts);
        }

        return new InfluxPing(response.Version, _timeProvider.GetElapsedTime(started));
    }

    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private static HttpClient CreateHttpClient() =>
        new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            // Each attempt has its own RequestTimeout; the HttpClient-wide limit would cut across retries.
            Timeout = Timeout.InfiniteTimeSpan,
        };

    /// <summary>
    /// Sends with retries: on network errors and timeouts, and on 5xx answers that are not a missing
    /// database/retention policy. Returns the last answer, or the last failure when none came.
    /// </summary>
    private async Task<InfluxResponse> SendAsync(Func<HttpRequestMessage> createRequest, bool retry, CancellationToken cancellationToken)
    {
        int maxAttempts = retry ? Options.MaxRetries + 1 : 1;
        for (int attempt = 1; ; attempt++)
        {
            InfluxResponse response = await SendOnceAsync(createRequest, attempt, cancellationToken).ConfigureAwait(false);
            bool retryable = response.Failure is not null
                || (response.Status >= 500 && WriteErrorAnalysis.IsRetryable(WriteErrorAnalysis.Classify(response.Status, ErrorText(response.Body))));
            if (!retryable || attempt >= maxAttempts)
            {
                return response;
            }

            TimeSpan delay = RetryBackoff.Delay(attempt, Options.RetryBaseDelay, Options.RetryMaxDelay, Random.Shared.NextDouble());
            LogRetry(_logger, attempt, maxAttempts - 1, delay.TotalMilliseconds, response.Failure?.Message ?? $"HTTP {response.Status}");
            await Task.Delay(delay, _timeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<InfluxResponse> SendOnceAsync(Func<HttpRequestMessage> createRequest, int attempt, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(Options.RequestTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        using HttpRequestMessage request = createRequest();
        request.Headers.Authorization = _authorization;
        try
        {
            using HttpResponseMessage response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, linked.Token).ConfigureAwait(false);
            byte[] body = await response.Content.ReadAsByteArrayAsync(linked.Token).ConfigureAwait(false);
            string? version = response.Headers.TryGetValues("X-Influxdb-Version", out IEnumerable<string>? values) ? values.FirstOrDefault() : null;
            return new InfluxResponse((int)response.StatusCode, body, version, attempt, null);
        }
        catch (HttpRequestException ex)
        {
            return new InfluxResponse(0, [], null, attempt, ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            return new InfluxResponse(0, [], null, attempt, new TimeoutException($"No answer within {Options.RequestTimeout.TotalSeconds:0.###} s.", ex));
        }
    }

    /// <summary>The <c>error</c> member of an InfluxDB error body, else the body as text.</summary>
    private static string ErrorText(byte[] body)
    {
        if (body.Length == 0)
        {
            return string.Empty;
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("error", out JsonElement error)
                && error.ValueKind == JsonValueKind.String)
            {
                return error.GetString() ?? string.Empty;
            }
        }
        catch (JsonException)
        {
            // Not JSON (a proxy's HTML page, say): the raw text is the best message there is.
        }

        return Encoding.UTF8.GetString(body);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "InfluxDB request failed ({Reason}); retry {Retry} of {MaxRetries} in {DelayMs:0} ms")]
    private static partial void LogRetry(ILogger logger, int retry, int maxRetries, double delayMs, string reason);

    private readonly record struct InfluxResponse(int Status, byte[] Body, string? Version, int Attempts, Exception? Failure);
}

/// <summary>Answer to a ping: the server's version header and the measured round trip.</summary>
public sealed record InfluxPing(string? Version, TimeSpan RoundTrip);
