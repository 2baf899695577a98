using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Datacake.Streams.Access;
using Datacake.Streams.IntegrationTests.Api.Access;
using Datacake.Streams.IntegrationTests.Host.Hosting;

namespace Datacake.Streams.IntegrationTests.Ingest.Mqtt;

/// <summary>
/// A CONNECT flood against the real executable, two tenants on two source addresses of the loopback range: tenant B,
/// from 127.0.0.3, opens sockets that never send CONNECT, sends CONNECTs with bad tokens and more CONNECTs with its
/// own good token than its cap, as fast as it can; tenant A's device, from 127.0.0.2, keeps publishing QoS 1 at its
/// normal pace and A's devices keep connecting anew. Alone in its collection: the latency measured is the flood's
/// effect, not the rest of the suite's.
/// </summary>
[Collection(nameof(MqttConnectFloodTests))]
[CollectionDefinition(nameof(MqttConnectFloodTests), DisableParallelization = true)]
public sealed class MqttConnectFloodTests
{
    private const int PendingPerAddress = 200;
    private const int PerCredential = 50;
    private static readonly TimeSpan _connectTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan _flood = TimeSpan.FromSeconds(8);
    private static readonly IPAddress _tenantA = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress _tenantB = IPAddress.Parse("127.0.0.3");

    [Fact]
    [Trait("Reliability", "mqtt-abuse")]
    public async Task A_connect_flood_from_one_tenant_is_answered_and_capped_while_the_other_tenants_device_keeps_publishing_and_connecting()
    {
        var operatorToken = AccessToken.New().Secret;
        await using var host = await HostProcess.StartAsync(new Dictionary<string, string>
        {
            ["DCS_OPERATOR_TOKEN"] = operatorToken,
            ["Ingest__Mqtt__ConnectTimeout"] = _connectTimeout.ToString("c", CultureInfo.InvariantCulture),
            ["Ingest__Mqtt__MaxPendingConnectionsPerAddress"] = PendingPerAddress.ToString(CultureInfo.InvariantCulture),
            ["Ingest__Mqtt__MaxConnectionsPerCredential"] = PerCredential.ToString(CultureInfo.InvariantCulture),
        });
        var api = new ApiClient(host.Http);
        var (deviceA, tokenA) = await NewTenantsDeviceAsync(api, operatorToken);
        var (_, tokenB) = await NewTenantsDeviceAsync(api, operatorToken);

        // Where the host's broker listens, as it says (HostProcess picked the port).
        var settings = await api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/ingest/mqtt", operatorToken);
        var broker = new IPEndPoint(IPAddress.Loopback, settings.Json.GetProperty("plain").GetProperty("port").GetInt32());
        var topicA = $"devices/{deviceA}/measurements";

        // A's device is connected before the flood (its token reaches ingest through the registry feed: retried).
        using var device = await ConnectWhenKnownAsync(broker, _tenantA, tokenA, "a-device");

        // B's own good token: its cap of connections is taken, the next ones get Quota exceeded (v5 0x97, 3.1.1 0x03).
        var heldByB = new List<Socket>();
        for (var i = 0; i < PerCredential; i++)
        {
            var (socket, code) = await ConnectAsync(broker, _tenantB, tokenB, $"b-{i}", version: 5);
            Assert.Equal(0, code);
            heldByB.Add(socket!);
        }

        var (overV5, quotaV5) = await ConnectAsync(broker, _tenantB, tokenB, "b-over-5", version: 5);
        var (overV4, quotaV4) = await ConnectAsync(broker, _tenantB, tokenB, "b-over-4", version: 4);
        overV5?.Dispose();
        overV4?.Dispose();
        Assert.Equal((0x97, 0x03), (quotaV5, quotaV4));

        var baseline = Resources(host.ProcessId);
        var samples = new ConcurrentQueue<(int Descriptors, long RssKb)>();
        var stop = DateTime.UtcNow + _flood;
        using var flooding = new CancellationTokenSource(_flood);
        var halfOpen = HalfOpenFloodAsync(broker, flooding.Token);
        var badTokens = Task.WhenAll(Enumerable.Range(0, 2).Select(_ => BadTokenFloodAsync(broker, flooding.Token)));
        var goodOverCap = GoodTokenFloodAsync(broker, tokenB, flooding.Token);
        var sampling = Task.Run(async () =>
        {
            using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
            while (await pace.WaitForNextTickAsync() && DateTime.UtcNow < stop + _connectTimeout)
            {
                samples.Enqueue(Resources(host.ProcessId));
            }
        });

        // Meanwhile A: a QoS 1 publish every 100 ms on its connection, and a device of A connecting anew every 500 ms.
        var latencies = new List<TimeSpan>();
        var connectLatencies = new List<TimeSpan>();
        ushort packetId = 0;
        using (var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(100)))
        {
            while (DateTime.UtcNow < stop && await pace.WaitForNextTickAsync())
            {
                var started = Stopwatch.GetTimestamp();
                await device.SendAsync(MqttPacketBytes.Publish(topicA, $"{{\"n\":{++packetId}}}", qos: 1, packetId, v5: true));
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                var puback = await MqttPacketBytes.ReadPacketAsync(device, timeout.Token);
                latencies.Add(Stopwatch.GetElapsedTime(started));
                Assert.True(puback is { Header: 0x40 } ack && (ack.Body.Length == 2 || ack.Body[2] == 0), $"A's publish {packetId} was not acknowledged during the flood");

                if (packetId % 5 == 0)
                {
                    started = Stopwatch.GetTimestamp();
                    var (fresh, code) = await ConnectAsync(broker, _tenantA, tokenA, $"a-wakes-{packetId}", version: 4);
                    connectLatencies.Add(Stopwatch.GetElapsedTime(started));
                    fresh?.Dispose();
                    Assert.True(code == 0, $"A's device was refused (0x{code:X2}) during B's flood");
                }
            }
        }

        var half = await halfOpen;
        var bad = await badTokens;
        var overCap = await goodOverCap;
        await sampling;
        var summary = $"half-open: {half}; bad tokens: {string.Join(", ", bad.Select(b => b.ToString()))}; good token over its cap: {overCap}";

        // The flood was big, and every part of it was answered: unread sockets closed at accept or after the connect
        // timeout, bad tokens told so (rate limited once over the failure budget), a good token over its cap told so.
        Assert.True(half.Opened >= 2_000, summary);
        Assert.Equal(0, half.HeldTooLong);
        Assert.True(bad.Sum(b => b.BadCredentials) + bad.Sum(b => b.RateLimited) >= 20 && bad.Sum(b => b.RateLimited) > 0 && bad.Sum(b => b.Other) == 0, summary);
        Assert.True(overCap.Quota > 0 && overCap.Accepted == 0 && overCap.Other == 0, summary);

        // The process held no more than the caps allow: its descriptors grew by at most the pending cap of B's address
        // (plus A's few), never by the thousands of sockets B opened; its memory stayed bounded.
        var peakDescriptors = samples.Max(s => s.Descriptors);
        var peakRss = samples.Max(s => s.RssKb);
        Assert.True(peakDescriptors - baseline.Descriptors <= PendingPerAddress + 50, $"descriptors {baseline.Descriptors} -> {peakDescriptors}; {summary}");
        Assert.True(peakRss - baseline.RssKb < 150 * 1024, $"RSS {baseline.RssKb} kB -> {peakRss} kB");

        // A's device kept its pace: stated bound, median under 50 ms and none over 1 s; A's new connections accepted.
        latencies.Sort();
        Assert.True(latencies.Count >= 50, $"only {latencies.Count} publishes of A in {_flood.TotalSeconds} s");
        Assert.True(latencies[latencies.Count / 2] < TimeSpan.FromMilliseconds(50), $"A's median PUBACK {latencies[latencies.Count / 2].TotalMilliseconds} ms; {summary}");
        Assert.True(latencies[^1] < TimeSpan.FromSeconds(1), $"A's slowest PUBACK {latencies[^1].TotalMilliseconds} ms; {summary}");
        // A's CONNECTs within 3 s: B's flood fills the listen backlog all addresses share (the address cap acts after
        // accept), so a SYN of A's may be dropped and retried after 1 s (1.07 s measured); refused, never.
        Assert.True(connectLatencies.Max() < TimeSpan.FromSeconds(3), $"A's slowest CONNECT {connectLatencies.Max().TotalMilliseconds} ms");

        // Afterwards: the process is up, B's sockets are gone from it once B lets go, and B's token connects again.
        foreach (var socket in heldByB)
        {
            socket.Dispose();
        }

        Assert.False(host.HasExited, host.Output);
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (Resources(host.ProcessId).Descriptors > baseline.Descriptors - PerCredential + 20 && DateTime.UtcNow < until)
        {
            await Task.Delay(50);
        }

        Assert.True(Resources(host.ProcessId).Descriptors <= baseline.Descriptors - PerCredential + 20, $"descriptors {Resources(host.ProcessId).Descriptors}, baseline with B's {PerCredential} held: {baseline.Descriptors}");
        var (again, againCode) = await ConnectAsync(broker, _tenantB, tokenB, "b-again", version: 5);
        again?.Dispose();
        Assert.Equal(0, againCode);
        using var health = await host.Http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    private sealed record HalfOpen(int Opened, int ClosedAtAccept, int ClosedAfterTimeout, int HeldTooLong);

    /// <summary>
    /// Sockets from B's address that never send a byte, opened as fast as they go (at most 2,000 waiting at once), each
    /// watched until the broker closes it: at once (over the address's cap) or after the connect timeout, never later.
    /// </summary>
    private static async Task<HalfOpen> HalfOpenFloodAsync(IPEndPoint broker, CancellationToken cancellationToken)
    {
        var opened = 0;
        var atAccept = 0;
        var afterTimeout = 0;
        var tooLong = 0;
        using var slots = new SemaphoreSlim(2_000);
        var watchers = new List<Task>();
        while (!cancellationToken.IsCancellationRequested && opened < 20_000)
        {
            try
            {
                await slots.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            Socket socket;
            try
            {
                socket = await MqttPacketBytes.OpenAsync(broker, _tenantB, cancellationToken);
            }
            catch (Exception exception) when (exception is SocketException or OperationCanceledException)
            {
                slots.Release();
                continue;
            }

            opened++;
            var openedAt = Stopwatch.GetTimestamp();
            watchers.Add(Task.Run(async () =>
            {
                using (socket)
                {
                    using var deadline = new CancellationTokenSource(_connectTimeout + TimeSpan.FromSeconds(3));
                    try
                    {
                        await MqttPacketBytes.ReadPacketAsync(socket, deadline.Token);
                        var held = Stopwatch.GetElapsedTime(openedAt);
                        Interlocked.Increment(ref held < TimeSpan.FromSeconds(1) ? ref atAccept : ref afterTimeout);
                    }
                    catch (OperationCanceledException)
                    {
                        Interlocked.Increment(ref tooLong);
                    }
                    finally
                    {
                        slots.Release();
                    }
                }
            }, CancellationToken.None));
        }

        await Task.WhenAll(watchers);
        return new HalfOpen(opened, atAccept, afterTimeout, tooLong);
    }

    private sealed record Refusals(int BadCredentials, int RateLimited, int ClosedUnanswered, int Other);

    /// <summary>CONNECTs with well-formed tokens nobody issued, from B's address, back to back.</summary>
    private static async Task<Refusals> BadTokenFloodAsync(IPEndPoint broker, CancellationToken cancellationToken)
    {
        int bad = 0, limited = 0, closed = 0, other = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var (socket, code) = await ConnectAsync(broker, _tenantB, AccessToken.New().Secret, "b-bad", version: 5);
            socket?.Dispose();
            _ = code switch
            {
                0x86 => bad++,
                0x9F => limited++,
                -1 => closed++,
                _ => other++,
            };
        }

        return new Refusals(bad, limited, closed, other);
    }

    private sealed record OverCap(int Accepted, int Quota, int ClosedUnanswered, int Other);

    /// <summary>B's good token, already at its cap, connecting again and again.</summary>
    private static async Task<OverCap> GoodTokenFloodAsync(IPEndPoint broker, string token, CancellationToken cancellationToken)
    {
        int accepted = 0, quota = 0, closed = 0, other = 0;
        var n = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var (socket, code) = await ConnectAsync(broker, _tenantB, token, $"b-more-{n++}", version: 5);
            socket?.Dispose();
            _ = code switch
            {
                0 => accepted++,
                0x97 => quota++,
                -1 => closed++,
                _ => other++,
            };
        }

        return new OverCap(accepted, quota, closed, other);
    }

    /// <summary>
    /// Opens a socket from <paramref name="source"/> and sends CONNECT; the CONNACK's code, or -1 when the broker closed
    /// without one (over the address's cap). An accepted connection is returned open, others closed.
    /// </summary>
    private static async Task<(Socket? Socket, int Code)> ConnectAsync(IPEndPoint broker, IPAddress source, string token, string clientId, byte version)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var socket = await MqttPacketBytes.OpenAsync(broker, source, timeout.Token);
        try
        {
            await socket.SendAsync(MqttPacketBytes.Connect(version, clientId, "device", token, keepAliveSeconds: 60), SocketFlags.None, timeout.Token);
        }
        catch (SocketException)
        {
        }

        var connack = await MqttPacketBytes.ReadPacketAsync(socket, timeout.Token);
        if (connack is { Header: 0x20 } answer && answer.Body[1] == 0)
        {
            return (socket, 0);
        }

        socket.Dispose();
        return (null, connack is { Header: 0x20 } refused ? refused.Body[1] : -1);
    }

    private static async Task<Socket> ConnectWhenKnownAsync(IPEndPoint broker, IPAddress source, string token, string clientId)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var (socket, code) = await ConnectAsync(broker, source, token, clientId, version: 5);
            if (socket is not null)
            {
                return socket;
            }

            Assert.True(DateTime.UtcNow < until, $"the new token was still refused (0x{code:X2}) after 30 s");
            await Task.Delay(50);
        }
    }

    /// <summary>A user of its own (made by the operator), a device in its home workspace and a device token for it.</summary>
    private static async Task<(string Device, string Token)> NewTenantsDeviceAsync(ApiClient api, string operatorToken)
    {
        var user = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", operatorToken, new { email = $"flood-{Guid.NewGuid():N}@example.test" })).Str("token");
        var workspace = (await api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", user)).Str("homeWorkspaceId");
        var device = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/devices", user, new { name = "boiler" })).Str("id");
        var token = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/devices/{device}/tokens", user)).Str("token");
        return (device, token);
    }

    /// <summary>The host's open file descriptors and resident memory, from /proc.</summary>
    private static (int Descriptors, long RssKb) Resources(int pid)
    {
        var descriptors = Directory.GetFiles($"/proc/{pid}/fd").Length;
        var rss = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return (descriptors, long.Parse(rss.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture));
    }
}
