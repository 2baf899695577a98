using System.Net;

namespace Datacake.Streams.IntegrationTests.Api.Access;

/// <summary>
/// The one-device read path remembers resolved tokens and devices between requests. Through the real host: every
/// identity change made through the API holds for the very next series request, although the same token and device
/// were just answered (and remembered) a moment before.
/// </summary>
public sealed class SeriesReadChangeTests(AccessApiHost host) : IClassFixture<AccessApiHost>
{
    private readonly ApiClient _api = host.Api;

    [Fact]
    public async Task A_token_disabled_revoked_or_rotated_through_the_api_stops_reading_series_at_once()
    {
        var t = await host.CreateTenantAsync("series-tokens");
        var series = Series(t.Device);

        var disabled = await IssueReaderAsync(t);
        await ReadTwiceAsync(series, disabled.Token);
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/tokens/{disabled.Id}/disable", t.Token);
        await _api.ExpectAsync(HttpStatusCode.Unauthorized, HttpMethod.Get, series, disabled.Token);

        var revoked = await IssueReaderAsync(t);
        await ReadTwiceAsync(series, revoked.Token);
        await _api.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/v1/tokens/{revoked.Id}", t.Token);
        await _api.ExpectAsync(HttpStatusCode.Unauthorized, HttpMethod.Get, series, revoked.Token);

        var rotated = await IssueReaderAsync(t);
        await ReadTwiceAsync(series, rotated.Token);
        var replacement = (await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/tokens/{rotated.Id}/rotate", t.Token, new { graceSeconds = 0 })).Str("token");
        await _api.ExpectAsync(HttpStatusCode.Unauthorized, HttpMethod.Get, series, rotated.Token);
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, series, replacement);
    }

    [Fact]
    public async Task A_removed_member_stops_reading_series_at_once()
    {
        var t = await host.CreateTenantAsync("series-member");
        var series = Series(t.SubDevice);
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/invitations/{t.Invitation}/accept", t.GuestToken);
        await ReadTwiceAsync(series, t.GuestToken);

        await _api.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/v1/workspaces/{t.Workspace}/members/{t.GuestId}", t.Token);
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, series, t.GuestToken);
    }

    [Fact]
    public async Task A_renamed_or_deleted_device_is_never_answered_from_a_stale_entry()
    {
        var t = await host.CreateTenantAsync("series-device");
        var series = Series(t.Device);
        var reader = await IssueReaderAsync(t);
        Assert.Equal($"Dev-{t.Label}", DeviceName(await ReadTwiceAsync(series, t.Token)));
        await ReadTwiceAsync(series, reader.Token);

        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Patch, $"/v1/devices/{t.Device}", t.Token, new { name = "Renamed boiler" });
        Assert.Equal("Renamed boiler", DeviceName(await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, series, t.Token)));

        var confirm = (await _api.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Delete, $"/v1/devices/{t.Device}", t.Token)).Str("confirm");
        await _api.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/v1/devices/{t.Device}", t.Token, new { confirm });
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, series, t.Token);
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, series, reader.Token);

        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/devices/{t.Device}/restore", t.Token);
        Assert.Equal("Renamed boiler", DeviceName(await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, series, reader.Token)));
    }

    private static string Series(string device) => $"/v1/devices/{device}/series?fields=temperature&every=1m&agg=mean";

    private static string DeviceName(ApiResponse answer) => answer.Json.GetProperty("series")[0].GetProperty("device").GetProperty("name").GetString()!;

    private async Task<(string Id, string Token)> IssueReaderAsync(Tenant t)
    {
        var created = await _api.ExpectAsync(
            HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{t.Workspace}/tokens", t.Token, new { name = "series reader", devices = new[] { new { id = t.Device, access = "read" } } });
        return (created.Str("id"), created.Str("token"));
    }

    /// <summary>Twice, so that the second answer comes from what the first left in memory.</summary>
    private async Task<ApiResponse> ReadTwiceAsync(string path, string token)
    {
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, path, token);
        return await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, path, token);
    }
}
