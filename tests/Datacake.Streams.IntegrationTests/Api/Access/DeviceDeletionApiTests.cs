using System.Net;

namespace Datacake.Streams.IntegrationTests.Api.Access;

/// <summary>Deleting a device needs a confirmation, hides it everywhere, and restoring brings it back.</summary>
public sealed class DeviceDeletionApiTests(AccessApiHost host) : IClassFixture<AccessApiHost>
{
    private readonly ApiClient _api = host.Api;

    [Fact]
    public async Task Delete_without_confirm_changes_nothing_with_confirm_hides_the_device_and_restore_brings_it_back()
    {
        var t = await host.CreateTenantAsync("delete");
        var readToken = (await _api.ExpectAsync(
            HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{t.Workspace}/tokens", t.Token, new { name = "r", devices = new[] { new { id = t.Device, access = "read" } } })).Str("token");
        var device = $"/v1/devices/{t.Device}";

        var warning = await _api.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Delete, device, t.Token);
        Assert.Equal("https://datacake-streams.dev/problems/deletion-needs-confirmation", warning.Str("type"));
        Assert.Contains($"Dev-{t.Label}", warning.Str("warning"), StringComparison.Ordinal);
        Assert.Contains("30 days", warning.Str("warning"), StringComparison.Ordinal);
        var confirm = warning.Str("confirm");

        // Nothing changed: the device is still everywhere.
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, device, t.Token);
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, device, readToken);
        Assert.Contains(t.Device, (await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{t.Workspace}/devices", t.Token)).Body, StringComparison.Ordinal);

        // A wrong code changes nothing either, and gets a fresh warning.
        var wrong = await _api.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Delete, device, t.Token, new { confirm = "00000000000000000000000000000000" });
        Assert.Equal("https://datacake-streams.dev/problems/deletion-confirmation-invalid", wrong.Str("type"));
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, device, t.Token);

        // The Confirmation-Code header is read the same way as the body.
        using (var headerDelete = new HttpRequestMessage(HttpMethod.Delete, new Uri(device, UriKind.Relative)))
        {
            headerDelete.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", t.Token);
            headerDelete.Headers.Add("Confirmation-Code", "00000000000000000000000000000000");
            using var answer = await host.Host.Http.SendAsync(headerDelete);
            Assert.Equal(HttpStatusCode.Conflict, answer.StatusCode);
            Assert.Contains("deletion-confirmation-invalid", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // The valid code in the query string is refused before anything is looked at: the device stays.
        var inUrl = await _api.ExpectAsync(HttpStatusCode.BadRequest, HttpMethod.Delete, $"{device}?confirm={confirm}", t.Token);
        Assert.Contains("must not travel in the URL", inUrl.Str("detail"), StringComparison.Ordinal);
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, device, t.Token);
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, device, readToken);

        await _api.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, device, t.Token, new { confirm });

        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, device, t.Token);
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Get, device, readToken);
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Patch, device, t.Token, new { name = "x" });
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Post, $"{device}/tokens", t.Token);
        Assert.DoesNotContain(t.Device, (await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{t.Workspace}/devices", t.Token)).Body, StringComparison.Ordinal);
        await _api.ExpectAsync(HttpStatusCode.BadRequest, HttpMethod.Post, $"/v1/workspaces/{t.Workspace}/tokens", t.Token, new { name = "x", devices = new[] { new { id = t.Device, access = "read" } } });

        // The code is used up.
        await _api.ExpectAsync(HttpStatusCode.NotFound, HttpMethod.Delete, device, t.Token, new { confirm });

        var restored = await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"{device}/restore", t.Token);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, restored.Json.GetProperty("deletedAt").ValueKind);
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, device, readToken);
        await _api.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Post, $"{device}/restore", t.Token);
    }

    [Fact]
    public async Task The_metadata_file_holds_no_secret_the_api_handed_out()
    {
        var t = await host.CreateTenantAsync("at-rest");
        var tokenId = (await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{t.Workspace}/tokens", t.Token, new { name = "x", role = "editor" })).Str("id");
        await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/tokens/{tokenId}/rotate", t.Token, new { graceSeconds = 60 });
        await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/devices/{t.Device}/tokens", t.Token);
        var webhook = await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{t.Workspace}/webhooks", t.Token, new { kind = "particle", devices = new[] { t.Device }, signed = true });
        var signingKey = Convert.FromBase64String(webhook.Str("secret")["whsec_".Length..]);

        var secrets = _api.IssuedSecrets.Append(host.OperatorToken).ToArray();
        Assert.True(secrets.Length >= 10, $"only {secrets.Length} secrets issued");
        var files = Directory.GetFiles(host.Host.DataDirectory, "metadata.db*");
        Assert.Contains(files, f => f.EndsWith("metadata.db-wal", StringComparison.Ordinal));
        foreach (var file in files)
        {
            byte[] bytes;
            using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            using (var copy = new MemoryStream())
            {
                await stream.CopyToAsync(copy);
                bytes = copy.ToArray();
            }

            foreach (var secret in secrets)
            {
                Assert.True(bytes.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(secret)) < 0, $"{Path.GetFileName(file)} holds an issued secret");
            }

            Assert.True(bytes.AsSpan().IndexOf(signingKey) < 0, $"{Path.GetFileName(file)} holds a webhook signing key in clear");
        }

        // Nor does the host's log output (it logs every request line, never a header or a body).
        var output = host.Host.Output;
        Assert.Contains("/v1/workspaces", output, StringComparison.Ordinal);
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, output, StringComparison.Ordinal);
        }

        // The e-mail, in contrast, is there: the store is where personal data lives, and nowhere else.
        var all = files.SelectMany(File.ReadAllBytes).ToArray();
        Assert.True(all.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes($"{t.Label}@example.test")) >= 0);
    }
}
