using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Hosting;

/// <summary>
/// The reverse proxies whose <c>X-Forwarded-For</c> / <c>X-Forwarded-Proto</c> the node believes, section "Proxies".
/// Empty by default: the headers are ignored and every address is the connection's peer, because a header anyone can
/// send would otherwise pick the address the failed-authentication budget charges (a guesser would rotate it).
/// </summary>
public sealed record ProxyOptions
{
    public const string Section = "Proxies";

    /// <summary>Addresses of trusted proxies, e.g. <c>127.0.0.1</c> for nginx on the same host.</summary>
    public string[] KnownProxies { get; init; } = [];

    /// <summary>Networks (CIDR) of trusted proxies, e.g. <c>10.0.0.0/24</c> for a load balancer pool.</summary>
    public string[] KnownNetworks { get; init; } = [];

    public bool Configured => KnownProxies.Length > 0 || KnownNetworks.Length > 0;

    /// <summary>ASP.NET Core's middleware options: only the listed sources, one hop (the proxy in front of us).</summary>
    public void Apply(ForwardedHeadersOptions forwarded)
    {
        forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;

        // The framework trusts loopback by default; here nothing is trusted unless configured.
        forwarded.KnownProxies.Clear();
        forwarded.KnownIPNetworks.Clear();
        foreach (var proxy in KnownProxies)
        {
            forwarded.KnownProxies.Add(IPAddress.Parse(proxy.Trim()));
        }

        foreach (var network in KnownNetworks)
        {
            forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network.Trim()));
        }
    }
}

public sealed class ProxyOptionsValidator : IValidateOptions<ProxyOptions>
{
    public ValidateOptionsResult Validate(string? name, ProxyOptions options)
    {
        var failures = new List<string>();
        failures.AddRange(options.KnownProxies
            .Where(p => !IPAddress.TryParse(p?.Trim() ?? string.Empty, out _))
            .Select(p => $"Proxies:KnownProxies: '{p}' is not an IP address"));
        failures.AddRange(options.KnownNetworks
            .Where(n => !System.Net.IPNetwork.TryParse(n?.Trim() ?? string.Empty, out _))
            .Select(n => $"Proxies:KnownNetworks: '{n}' is not a network in CIDR notation (e.g. 10.0.0.0/24)"));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
