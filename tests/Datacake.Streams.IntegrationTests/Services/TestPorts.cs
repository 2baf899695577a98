using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Datacake.Streams.IntegrationTests.Services;

/// <summary>
/// TCP ports for the servers the tests start and name a port for (hosts, influxd, MQTT listeners), one home for them.
/// Below Linux's ephemeral range (32768–60999, <c>/proc/sys/net/ipv4/ip_local_port_range</c>): a port taken by binding
/// port 0 comes from that range, and any process's next outgoing connection may be given it between the pick and the
/// server's bind, so the server could not listen and its test failed for nothing. Probed by a bind, and never handed
/// out twice in one test run.
/// </summary>
public static class TestPorts
{
    private const int First = 20_000;
    private const int End = 32_000;

    private static readonly ConcurrentDictionary<int, byte> s_given = new();

    public static int Free()
    {
        for (var attempt = 0; attempt < 1_000; attempt++)
        {
            var port = Random.Shared.Next(First, End);
            if (!s_given.TryAdd(port, 0))
            {
                continue;
            }

            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // In use by a service (Mosquitto, influxd) or a server another test started: the next one.
            }
        }

        throw new InvalidOperationException($"no free TCP port in {First}–{End - 1} after 1,000 tries");
    }
}
