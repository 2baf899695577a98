using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.Querying;
using Datacake.Streams.IntegrationTests.Api.Access;
using Datacake.Streams.IntegrationTests.EndToEnd;
using Datacake.Streams.IntegrationTests.Services;
using Datacake.Streams.TestSupport.Reliability;
using Xunit.Abstractions;

namespace Datacake.Streams.IntegrationTests.Resilience;

/// <summary>
/// Issue 19, record log restart during produce: the real executable (ingest, api and processing on the Kafka log)
/// takes HTTP measurements from clients that retry, with the same Idempotency-Key, whatever was not acknowledged;
/// meanwhile the Kafka broker (librdkafka's mock) goes down for <see cref="Outage"/> and comes back. While it is away
/// ingest answers 503 with Retry-After, never 500 and never a hang; once it is back ingest accepts again by itself,
/// and InfluxDB ends with every acknowledged value exactly once.
/// </summary>
/// <remarks>
/// The bodies carry no time: each copy of a value takes its own receive time, so a copy that reached the log although
/// its client got a 503 (Kafka may have stored a record whose acknowledgement was lost) and was then sent again would
/// be a second point unless processing recognises it; <see cref="StoredValues.AssertExactlyAsync"/> counts points.
/// </remarks>
[Collection(ResilienceCollection.Name)]
public sealed class KafkaBrokerRestartTests(ITestOutputHelper output)
{
    private const int Devices = 8;
    private const int Clients = 6;
    private const int AcceptedAfterOutage = 100;

    // How long an append waits for the brokers before ingest answers 503: shorter than the outage, so clients see it.
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan LoadBefore = TimeSpan.FromSeconds(4);

    // An answer that takes longer is a hang: the delivery timeout plus a loaded machine's margin.
    private static readonly TimeSpan AnswerDeadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ReadyDeadline = TimeSpan.FromSeconds(180);
    private static readonly TimeSpan ResumeDeadline = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan DrainDeadline = TimeSpan.FromSeconds(120);

    private readonly ConcurrentQueue<string> _wrongAnswers = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _issued;
    private long _acknowledged;
    private long _unavailable;
    private long _unavailableDuringOutage;
    private long _acknowledgedAfterOutage;
    private long _slowestAnswerMs;
    private volatile bool _brokerDown;
    private volatile bool _brokerBack;

    [Fact]
    [Trait("Reliability", "log-restart-during-produce")]
    public async Task Ingest_answers_503_while_the_kafka_broker_is_down_resumes_by_itself_and_every_acknowledged_value_is_stored_once()
    {
        var endpoints = ServiceEndpoints.Current;
        var database = "kafka_restart_" + Guid.NewGuid().ToString("N")[..12];
        var influxOptions = new InfluxOptions
        {
            Url = new Uri(endpoints.InfluxUrl),
            Database = database,
            User = endpoints.InfluxUser,
            Password = endpoints.InfluxPassword,
        };
        using var influx = new InfluxClient(influxOptions);
        var stored = new StoredValues(influx);
        using var nodes = new ScaledOutNodes(influxOptions);
        var operatorToken = AccessToken.New().Secret;
        try
        {
            // Inside the try: the node stops before the database is dropped (influxd 1.6 can hang a DROP DATABASE
            // beside the api role's running rollup statements).
            await using var node = await nodes.StartNodeAsync("ingest,api,process", waitUntilHealthy: false, extra: new Dictionary<string, string>
            {
                ["DCS_OPERATOR_TOKEN"] = operatorToken,
                ["RecordLog__Kafka__DeliveryTimeout"] = DeliveryTimeout.ToString("c", CultureInfo.InvariantCulture),
            });
            // HostProcess's own 60 s to /healthz is not always enough beside a soak and other builds (load average 60-80).
            await node.WaitUntilAsync("/readyz", HttpStatusCode.OK, ReadyDeadline);
            var senders = await DevicesAsync(new ApiClient(node.Http), operatorToken);

            // Every device's token known to ingest (it comes through dcs.registry) and the flow stored end to end.
            foreach (var sender in senders)
            {
                var value = Interlocked.Increment(ref _issued) - 1;
                await Senders.AcceptedAsync(() => Senders.MeasurementAsync(node.Http, sender, Body(value), Key(value)), $"warm-up value {value}");
            }

            Interlocked.Exchange(ref _acknowledged, Devices);
            await Until.Async(stored.CountAsync, c => c >= Devices, "the warm-up values stored");
            output.WriteLine(Line($"{_clock.Elapsed.TotalSeconds:0.0} s: node up, {Devices} warm-up values stored"));

            using var stop = new CancellationTokenSource();
            var clients = Enumerable.Range(0, Clients).Select(_ => ClientAsync(node.Http, senders, stop.Token)).ToArray();
            try
            {
                await Polling.WhileAsync(LoadBefore, () =>
                {
                    Assert.False(node.HasExited, node.Output);
                    return Task.CompletedTask;
                });
                nodes.Kafka.SetBrokerDown();
                _brokerDown = true;
                output.WriteLine(Line($"{_clock.Elapsed.TotalSeconds:0.0} s: broker down; {Interlocked.Read(ref _acknowledged)} acknowledged"));

                // The outage is the scenario's wall clock, with the clients sending throughout.
                await Polling.WhileAsync(Outage, () =>
                {
                    Assert.False(node.HasExited, node.Output);
                    return Task.CompletedTask;
                });
                nodes.Kafka.SetBrokerUp();
                _brokerBack = true;
                output.WriteLine(Line($"{_clock.Elapsed.TotalSeconds:0.0} s: broker up; {Interlocked.Read(ref _acknowledged)} acknowledged, {Interlocked.Read(ref _unavailableDuringOutage)} answered 503 during the outage"));

                var resumed = await Polling.UntilAsync(() => Task.FromResult(Interlocked.Read(ref _acknowledgedAfterOutage) >= AcceptedAfterOutage || clients.Any(c => c.IsFaulted)), ResumeDeadline);
                Assert.True(resumed && !clients.Any(c => c.IsFaulted), $"ingest accepted {Interlocked.Read(ref _acknowledgedAfterOutage)} values in {ResumeDeadline} after the broker came back:\n{Tail(node.Output)}");
                output.WriteLine(Line($"{_clock.Elapsed.TotalSeconds:0.0} s: {AcceptedAfterOutage} values accepted after the outage"));
            }
            finally
            {
                // Each client ends with its current value acknowledged: every value issued is one a client got a 202 for.
                await stop.CancelAsync();
                await Task.WhenAll(clients);
            }

            var acknowledged = Interlocked.Read(ref _acknowledged);
            Assert.Equal(Interlocked.Read(ref _issued), acknowledged);
            Assert.True(_wrongAnswers.IsEmpty, $"{_wrongAnswers.Count} answers were neither 202 nor 503 with Retry-After, e.g.: {string.Join("; ", _wrongAnswers.Take(5))}");
            Assert.True(Interlocked.Read(ref _unavailableDuringOutage) > 0, "no client got a 503 while the broker was down: the outage was not seen");

            var drained = await Polling.UntilAsync(async () => await stored.CountAsync() >= acknowledged, DrainDeadline);
            var storedAtEnd = await stored.CountAsync();
            output.WriteLine(Line($"{_clock.Elapsed.TotalSeconds:0.0} s: {acknowledged} acknowledged, {storedAtEnd} stored, {Interlocked.Read(ref _unavailable)} answers 503 ({Interlocked.Read(ref _unavailableDuringOutage)} during the outage), slowest answer {Interlocked.Read(ref _slowestAnswerMs)} ms"));
            Assert.True(drained, $"InfluxDB holds {storedAtEnd} of {acknowledged} acknowledged values {DrainDeadline} after the outage:\n{Tail(node.Output)}");
            await stored.AssertExactlyAsync(acknowledged, "after the broker restart");
            Assert.False(node.HasExited);

            ReliabilityRecorder.Record("log-restart-during-produce", new ReliabilityNumbers
            {
                Sent = acknowledged + Interlocked.Read(ref _unavailable),
                Acknowledged = acknowledged,
                Stored = storedAtEnd,
                Lost = 0,
                Duplicated = 0,
                Note = Line($"Kafka broker down {Outage.TotalSeconds:0} s during produce; {Interlocked.Read(ref _unavailable)} answers 503 + Retry-After (retried with the same Idempotency-Key), slowest answer {Interlocked.Read(ref _slowestAnswerMs)} ms"),
            });
        }
        finally
        {
            await influx.ExecuteAsync($"DROP DATABASE {InfluxQl.QuoteIdentifier(database)}");
        }
    }

    /// <summary>
    /// A device client: sends value after value, each until a 202 (waiting Retry-After after a 503, as clients are
    /// told to); on stop it still finishes the value it holds.
    /// </summary>
    private async Task ClientAsync(HttpClient ingest, TestDevice[] senders, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var value = Interlocked.Increment(ref _issued) - 1;
            var sender = senders[value % senders.Length];
            var accepted = false;
            var until = DateTime.UtcNow + ResumeDeadline + Outage;
            while (!accepted)
            {
                Assert.True(DateTime.UtcNow < until, $"value {value} was not accepted within {ResumeDeadline + Outage}");
                var wasDown = _brokerDown && !_brokerBack;
                var sent = Stopwatch.StartNew();
                using var request = Request(sender, value);
                using var deadline = new CancellationTokenSource(AnswerDeadline);
                HttpResponseMessage response;
                try
                {
                    response = await ingest.SendAsync(request, deadline.Token);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    _wrongAnswers.Enqueue(Line($"value {value}: no answer within {sent.Elapsed.TotalSeconds:0.0} s ({e.GetType().Name}: {e.Message})"));
                    continue;
                }

                using (response)
                {
                    InterlockedMax(ref _slowestAnswerMs, sent.ElapsedMilliseconds);
                    if (response.StatusCode == HttpStatusCode.Accepted)
                    {
                        accepted = true;
                        Interlocked.Increment(ref _acknowledged);
                        if (_brokerBack)
                        {
                            Interlocked.Increment(ref _acknowledgedAfterOutage);
                        }

                        continue;
                    }

                    var retryAfter = response.Headers.RetryAfter?.Delta;
                    if (response.StatusCode != HttpStatusCode.ServiceUnavailable || retryAfter is null)
                    {
                        _wrongAnswers.Enqueue($"value {value}: {(int)response.StatusCode}, Retry-After {response.Headers.RetryAfter}: {await response.Content.ReadAsStringAsync(CancellationToken.None)}");
                        continue;
                    }

                    Interlocked.Increment(ref _unavailable);
                    if (wasDown || (_brokerDown && !_brokerBack))
                    {
                        Interlocked.Increment(ref _unavailableDuringOutage);
                    }

                    // The client does what the 503 tells it: it comes back after Retry-After.
                    await Task.Delay(retryAfter.Value, CancellationToken.None);
                }
            }
        }
    }

    private static HttpRequestMessage Request(TestDevice sender, long value)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/devices/{sender.Id}/measurements")
        {
            Content = new StringContent(Body(value), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", sender.Token);
        request.Headers.Add("Idempotency-Key", Key(value));
        return request;
    }

    private static string Body(long value) => string.Create(CultureInfo.InvariantCulture, $"{{\"v\":{value}}}");

    private static string Key(long value) => string.Create(CultureInfo.InvariantCulture, $"v{value}");

    private static async Task<TestDevice[]> DevicesAsync(ApiClient api, string operatorToken)
    {
        var user = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", operatorToken, new { email = $"restart-{Guid.NewGuid():N}@example.test" })).Str("token");
        var workspace = (await api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", user)).Str("homeWorkspaceId");
        var senders = new TestDevice[Devices];
        for (var i = 0; i < senders.Length; i++)
        {
            var device = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/devices", user, new { name = $"meter {i}" })).Str("id");
            var token = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/devices/{device}/tokens", user)).Str("token");
            senders[i] = new TestDevice(device, "", token);
        }

        return senders;
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var seen = Interlocked.Read(ref target);
        while (value > seen && Interlocked.CompareExchange(ref target, value, seen) is var now && now != seen)
        {
            seen = now;
        }
    }



    private static string Line(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string Tail(string text) => string.Join('\n', text.Split('\n').TakeLast(60));
}
