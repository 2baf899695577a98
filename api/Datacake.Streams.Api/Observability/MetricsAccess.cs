using System.Net;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.Observability;

/// <summary>
/// Whether a request's source address lies in a configured metrics network. The address is the one the forwarded
/// headers middleware settled on: a configured proxy's client, else the connection's peer.
/// </summary>
public sealed class MetricsAccess(IOptions<MetricsAccessOptions> options)
{
    private readonly IReadOnlyList<IPNetwork> _networks = options.Value.ParsedNetworks;

    public bool IsTrustedSource(HttpContext context)
    {
        if (_networks.Count == 0 || context.Connection.RemoteIpAddress is not { } remote)
        {
            return false;
        }

        // An IPv4 client on a dual-stack socket arrives as ::ffff:a.b.c.d; the configured networks are written as IPv4.
        var address = remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote;
        foreach (var network in _networks)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }
}
