using System.Net.Http.Headers;
using System.Net;
using System.Text.Json.Nodes;
using Datacake.Streams.IntegrationTests.Host.Hosting;
using Datacake.Streams.IntegrationTests.Services;

namespace Datacake.Streams.IntegrationTests.Backups;

/// <summary>The operator endpoints through the real executable and Kestrel.</summary>
public sealed class BackupEndpointTests
{
    [Fact]
    public async Task Operator_starts_a_backup_with_202_and_finds_it_listed_others_are_refused()
    {
        await using var bed = await BackupTestBed.CreateAsync();
        await bed.WriteAsync("raw", $"{BackupTestBed.LineOf("dev_0000000000000000000000000a")} temperature=1 {DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds() * 1_000_000L}\n");
        await using var host = await HostProcess.StartAsync(new Dictionary<string, string>
        {
            ["DCS_OPERATOR_TOKEN"] = "operator-secret-for-test-0123456789abcdef",
            ["DCS_INFLUX_DATABASE"] = bed.Database,
            ["DCS_INFLUX_BACKUP_HOST"] = ServiceEndpoints.Current.InfluxBackupHost,
            ["DCS_BACKUP_DIR"] = bed.Options.Directory!,
            ["DCS_BACKUP_SECONDARY_DIR"] = bed.Options.SecondaryDirectory!,
            ["Backup__Enabled"] = "false",
        });

        using (var anonymous = await host.Http.GetAsync("/v1/ops/backups"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.EndsWith("/unauthenticated", JsonNode.Parse(await anonymous.Content.ReadAsStringAsync())!["type"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        using (var wrong = new HttpRequestMessage(HttpMethod.Get, "/v1/ops/backups"))
        {
            wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-the-operator");
            using var refused = await host.Http.SendAsync(wrong);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        host.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "operator-secret-for-test-0123456789abcdef");
        using var started = await host.Http.PostAsync("/v1/ops/backups", null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var id = JsonNode.Parse(await started.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();

        var deadline = DateTime.UtcNow.AddSeconds(60);
        JsonNode? listed = null;
        while (listed is null && DateTime.UtcNow < deadline)
        {
            var listing = JsonNode.Parse(await host.Http.GetStringAsync("/v1/ops/backups"))!;
            Assert.Null(listing["lastFailure"]);
            // The manifest is listed as soon as it is written; the second-site verification follows the copy.
            listed = listing["backups"]!.AsArray().FirstOrDefault(b => b!["manifest"]!["id"]!.GetValue<string>() == id && b["verification"] is not null);
            if (listed is null)
            {
                await Task.Delay(50);
            }
        }

        Assert.NotNull(listed);
        Assert.True(listed["verification"]!["secondaryOk"]!.GetValue<bool>());
        Assert.Equal(1, listed["manifest"]!["counts"]!["raw"]!["values"]!["temperature"]!.GetValue<long>());

        using var missing = await host.Http.PostAsync("/v1/ops/backups/bk-20000101T000000000Z/verify", null);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.EndsWith("/backup-not-found", JsonNode.Parse(await missing.Content.ReadAsStringAsync())!["type"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
