using System.Net;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.Observability;

/// <summary>
/// Who may read <c>/metrics</c> without the operator token, section "Observability". Checked by
/// <see cref="MetricsAccessOptionsValidator"/> at start.
/// </summary>
public sealed record MetricsAccessOptions
{
    public const string Section = "Observability";

    /// <summary>
    /// Source networks (CIDR, e.g. <c>10.0.5.0/24</c> for the Prometheus subnet) whose scrapers need no credential.
    /// Empty by default: loopback is not special, because a reverse proxy on the same host makes every outside
    /// request look local.
    /// </summary>
    public string[] MetricsNetworks { get; init; } = [];

    /// <summary>The parsed <see cref="MetricsNetworks"/>; valid once the validator has passed.</summary>
    public IReadOnlyList<IPNetwork> ParsedNetworks => [.. MetricsNetworks.Select(n => IPNetwork.Parse(n.Trim()))];
}

public sealed class MetricsAccessOptionsValidator : IValidateOptions<MetricsAccessOptions>
{
    public ValidateOptionsResult Validate(string? name, MetricsAccessOptions options)
    {
        var failures = options.MetricsNetworks
            .Where(n => !IPNetwork.TryParse(n?.Trim() ?? string.Empty, out _))
            .Select(n => $"Observability:MetricsNetworks: '{n}' is not a network in CIDR notation (e.g. 10.0.5.0/24)")
            .ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
