using Microsoft.Extensions.Options;

namespace Datacake.Streams.Log.Kafka;

/// <summary>Rejects options librdkafka would refuse later with a less clear message, or that would never work.</summary>
public sealed class KafkaRecordLogOptionsValidator : IValidateOptions<KafkaRecordLogOptions>
{
    // librdkafka's own ranges: linger.ms 0..900000, session.timeout.ms 1..3600000, message.timeout.ms 0..2147483647.
    private static readonly TimeSpan _maxLinger = TimeSpan.FromMilliseconds(900_000);
    private static readonly TimeSpan _maxSessionTimeout = TimeSpan.FromMilliseconds(3_600_000);

    // The settings the log's promises rest on (durable appends, positions moved only by Commit, one group per
    // Subscribe): a passthrough entry must not quietly undo them. Everything else (TLS, SASL, tuning) passes.
    private static readonly HashSet<string> _reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "acks", "request.required.acks", "enable.idempotence", "enable.auto.commit", "enable.auto.offset.store", "group.id",
    };

    public ValidateOptionsResult Validate(string? name, KafkaRecordLogOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();

        if (string.IsNullOrWhiteSpace(options.BootstrapServers))
        {
            failures.Add("BootstrapServers is required (host:port[,host:port...]).");
        }
        else
        {
            foreach (var server in options.BootstrapServers.Split(',', StringSplitOptions.TrimEntries))
            {
                var colon = server.LastIndexOf(':');
                if (colon <= 0 || !ushort.TryParse(server.AsSpan(colon + 1), out var port) || port == 0)
                {
                    failures.Add($"BootstrapServers entry '{server}' is not host:port.");
                }
            }
        }

        if (string.IsNullOrWhiteSpace(options.ClientId))
        {
            failures.Add("ClientId is required.");
        }

        if (options.Linger < TimeSpan.Zero || options.Linger > _maxLinger)
        {
            failures.Add($"Linger must be between 0 and {_maxLinger.TotalMilliseconds} ms, was {options.Linger.TotalMilliseconds} ms.");
        }

        // librdkafka requires linger.ms < message.timeout.ms, or every record would expire while it lingers.
        if (options.DeliveryTimeout <= options.Linger || options.DeliveryTimeout.TotalMilliseconds > int.MaxValue)
        {
            failures.Add($"DeliveryTimeout must be longer than Linger ({options.Linger.TotalMilliseconds} ms), was {options.DeliveryTimeout.TotalMilliseconds} ms.");
        }

        if (options.SessionTimeout < TimeSpan.FromMilliseconds(1) || options.SessionTimeout > _maxSessionTimeout)
        {
            failures.Add($"SessionTimeout must be between 1 ms and {_maxSessionTimeout.TotalMilliseconds} ms, was {options.SessionTimeout.TotalMilliseconds} ms.");
        }

        RequirePositive(failures, nameof(options.MetadataTimeout), options.MetadataTimeout);
        RequirePositive(failures, nameof(options.ReachabilityTimeout), options.ReachabilityTimeout);
        RequirePositive(failures, nameof(options.FlushTimeout), options.FlushTimeout);

        if (options.Config is null)
        {
            failures.Add("Config must not be null (leave it empty for none).");
        }
        else
        {
            foreach (var (key, value) in options.Config)
            {
                if (string.IsNullOrWhiteSpace(key) || value is null)
                {
                    failures.Add($"Config entry '{key}' needs a name and a value.");
                }
                else if (_reserved.Contains(key.Trim()))
                {
                    failures.Add($"Config entry '{key}' cannot be overridden: the record log's durability and commit guarantees depend on it.");
                }
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void RequirePositive(List<string> failures, string name, TimeSpan value)
    {
        if (value <= TimeSpan.Zero || value.TotalMilliseconds > int.MaxValue)
        {
            failures.Add($"{name} must be positive, was {value}.");
        }
    }
}
