using Microsoft.Extensions.Options;

namespace Datacake.Streams.Influx.Client;

public sealed class InfluxOptionsValidator : IValidateOptions<InfluxOptions>
{
    // InfluxDB 1.x answers 413 above its default max-body-size of 25 MB; at ~120 bytes a point,
    // 100,000 points (~12 MB uncompressed) keeps a margin.
    public const int MaxBatchSize = 100_000;

    public ValidateOptionsResult Validate(string? name, InfluxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.Url is null || !options.Url.IsAbsoluteUri || (options.Url.Scheme != Uri.UriSchemeHttp && options.Url.Scheme != Uri.UriSchemeHttps))
        {
            failures.Add("Influx:Url must be an absolute http or https URL.");
        }

        if (string.IsNullOrWhiteSpace(options.Database))
        {
            failures.Add("Influx:Database is required.");
        }

        if (options.User is not null && options.Password is null)
        {
            failures.Add("Influx:Password is required when Influx:User is set.");
        }

        if (options.RetentionPolicy is { Length: 0 })
        {
            failures.Add("Influx:RetentionPolicy must be null (the default policy) or a name.");
        }

        if (options.BatchSize is < 1 or > MaxBatchSize)
        {
            failures.Add($"Influx:BatchSize must be between 1 and {MaxBatchSize}.");
        }

        if (options.MaxBodyBytes < 0)
        {
            failures.Add("Influx:MaxBodyBytes must be >= 0 (0: no client-side limit).");
        }

        if (options.RequestTimeout <= TimeSpan.Zero)
        {
            failures.Add("Influx:RequestTimeout must be positive.");
        }

        if (options.MaxRetries is < 0 or > 100)
        {
            failures.Add("Influx:MaxRetries must be between 0 and 100.");
        }

        if (options.RetryBaseDelay < TimeSpan.Zero || options.RetryMaxDelay < options.RetryBaseDelay)
        {
            failures.Add("Influx:RetryBaseDelay must be >= 0 and Influx:RetryMaxDelay >= RetryBaseDelay.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
