using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Datacake.Streams.LoadGen;

/// <summary>
/// Free loopback TCP ports for the benchmark's private servers, all held open until all are chosen so none repeats.
/// They are taken below the kernel's ephemeral range: a server restarted within a run keeps its port, and the
/// per-message Node-RED flow churns through tens of thousands of outgoing connections, so a port from the ephemeral
/// range was once handed to a client while our host was down and its restart failed with "address in use"
/// (session 4, e2e round 2).
/// </summary>
internal static class FreePorts
{
    private const int Lowest = 10_000;

    public static void Print(int count)
    {
        var listeners = new List<TcpListener>();
        try
        {
            var below = EphemeralLow();
            for (var attempt = 0; listeners.Count < count && attempt < 10_000; attempt++)
            {
                var listener = new TcpListener(IPAddress.Loopback, Random.Shared.Next(Lowest, below));
                try
                {
                    listener.Start();
                    listeners.Add(listener);
                }
                catch (SocketException)
                {
                    // Taken: try another.
                }
            }

            if (listeners.Count < count)
            {
                throw new InvalidOperationException($"found only {listeners.Count} of {count} free ports in {Lowest}-{below - 1}");
            }

            foreach (var listener in listeners)
            {
                Console.WriteLine(((IPEndPoint)listener.LocalEndpoint).Port);
            }
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }

    /// <summary>The first port of <c>ip_local_port_range</c> (32768 when it cannot be read).</summary>
    private static int EphemeralLow()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            var low = int.Parse(range[0], CultureInfo.InvariantCulture);
            return low > Lowest + 1_000 ? low : 32_768;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 32_768;
        }
    }
}
