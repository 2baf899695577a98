using System.Net;
using Datacake.Streams.Access;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.IntegrationTests.Api.Access;
using Datacake.Streams.IntegrationTests.EndToEnd;
using Datacake.Streams.IntegrationTests.Services;
using static Datacake.Streams.IntegrationTests.EndToEnd.UplinkBodies;

namespace Datacake.Streams.IntegrationTests.Resilience;

/// <summary>
/// The api role without processing, on Kafka: a record dead-lettered by the "ingest,process" node is answered by the
/// "api" node (its own process, its own consumer of <c>dcs.deadletter</c> on librdkafka's mock cluster).
/// </summary>
[Collection(ResilienceCollection.Name)]
public sealed class ScaledOutDeadLetterTests
{
    [Fact]
    public async Task An_api_node_without_processing_answers_the_dead_letters_another_node_wrote()
    {
        var endpoints = ServiceEndpoints.Current;
        var probe = new InfluxProbe("deadletter_" + Guid.NewGuid().ToString("N")[..12]);
        var influxOptions = new InfluxOptions
        {
            Url = new Uri(endpoints.InfluxUrl),
            Database = probe.Database,
            User = endpoints.InfluxUser,
            Password = endpoints.InfluxPassword,
        };
        using var nodes = new ScaledOutNodes(influxOptions);
        var operatorToken = AccessToken.New().Secret;
        var apiStart = nodes.StartNodeAsync("api", extra: new Dictionary<string, string> { ["DCS_OPERATOR_TOKEN"] = operatorToken });
        var workerStart = nodes.StartNodeAsync("ingest,process");
        try
        {
            // Inside the try: both nodes stop before the database is dropped. influxd 1.6 can hang a DROP DATABASE
            // that meets a node's running DELETE or SELECT … INTO (the rollup refresher; CI met a 100 s hang).
            await using var apiNode = await apiStart;
            await using var worker = await workerStart;
            var api = new ApiClient(apiNode.Http);
            var owner = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", operatorToken, new { email = $"owner-{Guid.NewGuid():N}@example.test" })).Str("token");
            var workspace = (await api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", owner)).Str("homeWorkspaceId");
            var id = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/devices", owner, new { name = "far meter" })).Str("id");
            var token = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/devices/{id}/tokens", owner)).Str("token");
            var device = new TestDevice(id, "", token);

            var tooOld = $$$"""[{"time":"{{{Rfc3339(DateTimeOffset.UtcNow.AddDays(-40))}}}","values":{"temperature":21.5}}]""";
            await Senders.AcceptedAsync(() => Senders.MeasurementAsync(worker.Http, device, tooOld), "the old point at the ingest node");

            var answer = await Until.Async(
                () => api.GetAsync($"/v1/devices/{id}/dead-letters", owner),
                r => r.Status == HttpStatusCode.OK && r.Json.GetProperty("deadLetters").GetArrayLength() >= 1,
                "the dead letter at the api node");
            var letter = Assert.Single(answer.Json.GetProperty("deadLetters").EnumerateArray());
            Assert.Equal("too_old", letter.GetProperty("reason").GetString());
            Assert.Equal("http", letter.GetProperty("source").GetString());
            Assert.False(apiNode.HasExited);
        }
        finally
        {
            await probe.DropDatabaseAsync();
        }
    }
}
