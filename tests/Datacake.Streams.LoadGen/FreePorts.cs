using System.Net;
using System.Net.Sockets;

namespace Datacake.Streams.LoadGen;

/// <summary>Free loopback TCP ports for the benchmark's private servers, all held open until all are chosen so none repeats.</summary>
internal static class FreePorts
{
    public static void Print(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            foreach (var listener in listeners)
            {
                listener.Start();
                Console.WriteLine(((IPEndPoint)listener.LocalEndpoint).Port);
            }
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }
}
