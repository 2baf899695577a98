using System.Net;
using System.Text;
using System.Text.Json;
using Datacake.Streams.Problems;
using static Datacake.Streams.IntegrationTests.EndToEnd.UplinkBodies;

namespace Datacake.Streams.IntegrationTests.EndToEnd;

/// <summary>
/// Issue 16: a record the node accepted with 202 and then could not store is a dead letter its device's owner can
/// see, through the real executable: <c>GET /v1/devices/{id}/dead-letters</c> answers the reason code, newest first,
/// to the owner and to a viewer of the workspace, 404 to another tenant's valid token as for an unknown device, and
/// the same letters again after a restart (the api role rebuilds its index from <c>dcs.deadletter</c>).
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class DeadLetterTests(EndToEndHost e2e)
{
    [Fact]
    public async Task A_devices_dead_letters_are_its_readers_alone_newest_first_and_survive_a_restart()
    {
        var device = await e2e.NewDeviceAsync("Dead-letter meter");
        var path = $"/v1/devices/{device.Id}/dead-letters";

        // Both accepted by ingest (it does not judge point times), both refused by processing.
        var tooOld = $$$"""[{"time":"{{{Rfc3339(DateTimeOffset.UtcNow.AddDays(-40))}}}","values":{"temperature":21.5}}]""";
        var tooNew = $$$"""[{"time":"{{{Rfc3339(DateTimeOffset.UtcNow.AddDays(2))}}}","values":{"temperature":22.5}}]""";
        await Senders.AcceptedAsync(() => Senders.MeasurementAsync(e2e.Host.Http, device, tooOld), "the old point");
        await WaitForLettersAsync(path, e2e.OwnerToken, 1);
        await Senders.AcceptedAsync(() => Senders.MeasurementAsync(e2e.Host.Http, device, tooNew), "the future point");
        var letters = await WaitForLettersAsync(path, e2e.OwnerToken, 2);

        Assert.Equal(["too_far_in_future", "too_old"], letters.Select(l => l.GetProperty("reason").GetString()));
        var old = letters[1];
        Assert.Contains("older than", old.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("http", old.GetProperty("source").GetString());
        Assert.Equal(tooOld, Encoding.UTF8.GetString(old.GetProperty("payload").GetBytesFromBase64()));
        Assert.Equal(Encoding.UTF8.GetByteCount(tooOld), old.GetProperty("payloadSize").GetInt32());
        Assert.False(old.GetProperty("payloadTruncated").GetBoolean());
        var receivedAt = old.GetProperty("receivedAt").GetDateTimeOffset();
        Assert.InRange(receivedAt, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow);
        Assert.True(old.GetProperty("rejectedAt").GetDateTimeOffset() >= receivedAt);

        // What a letter holds, and nothing else: no credential fingerprint, signature or log position.
        Assert.Equal(
            ["detail", "payload", "payloadSize", "payloadTruncated", "reason", "receivedAt", "rejectedAt", "source"],
            old.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Empty(await e2e.Influx.PointsAsync(device.Id));

        // Newest first, as many as asked; a bad limit is a problem naming it.
        var one = await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, path + "?limit=1", e2e.OwnerToken);
        Assert.Equal("too_far_in_future", Assert.Single(one.Json.GetProperty("deadLetters").EnumerateArray()).GetProperty("reason").GetString());
        var invalid = await e2e.Api.ExpectAsync(HttpStatusCode.BadRequest, HttpMethod.Get, path + "?limit=0", e2e.OwnerToken);
        Assert.Equal(ProblemTypes.InvalidQuery, invalid.Str("type"));

        // A viewer of the workspace reads them; another tenant's valid token gets the 404 of an unknown device; no token 401.
        var viewer = (await e2e.Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{e2e.WorkspaceId}/tokens", e2e.OwnerToken,
            new { name = "dead-letter viewer", role = "viewer" })).Str("token");
        var seen = await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, path, viewer);
        Assert.Equal(2, seen.Json.GetProperty("deadLetters").GetArrayLength());

        var otherTenant = (await e2e.Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", e2e.OperatorToken,
            new { email = $"tenant-{Guid.NewGuid():N}@example.test" })).Str("token");
        await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", otherTenant);
        var hidden = await e2e.Api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, path, otherTenant);
        Assert.Equal(ProblemTypes.DeviceNotFound, hidden.Str("type"));
        var unknown = await e2e.Api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"/v1/devices/{Datacake.Streams.Ids.DeviceId.New()}/dead-letters", otherTenant);
        foreach (var property in new[] { "type", "title", "detail", "status" })
        {
            Assert.Equal(hidden.Json.GetProperty(property).ToString(), unknown.Json.GetProperty(property).ToString());
        }

        await e2e.Api.ExpectAsync(HttpStatusCode.Unauthorized, HttpMethod.Get, path, null);

        // Another tenant's own device, dead-lettered too, is not among this device's letters, and the owner cannot read it.
        var foreign = await e2e.NewOtherTenantsDeviceAsync("Foreign meter");
        await Senders.AcceptedAsync(() => Senders.MeasurementAsync(e2e.Host.Http, foreign, tooOld), "the other tenant's old point");
        await e2e.Api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, $"/v1/devices/{foreign.Id}/dead-letters", e2e.OwnerToken);

        // Rebuilt from the log after a crash.
        await e2e.RestartAsync();
        var rebuilt = await WaitForLettersAsync(path, e2e.OwnerToken, 2);
        Assert.Equal(["too_far_in_future", "too_old"], rebuilt.Select(l => l.GetProperty("reason").GetString()));
    }

    private async Task<IReadOnlyList<JsonElement>> WaitForLettersAsync(string path, string token, int count)
    {
        var answer = await Until.Async(
            () => e2e.Api.GetAsync(path, token),
            r => r.Status == HttpStatusCode.OK && r.Json.GetProperty("deadLetters").GetArrayLength() >= count,
            $"{count} dead letter(s) at {path}");
        var letters = answer.Json.GetProperty("deadLetters").EnumerateArray().ToList();
        Assert.Equal(count, letters.Count);
        return letters;
    }
}
