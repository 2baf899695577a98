using System.Net;
using Datacake.Streams.Access;
using Datacake.Streams.IntegrationTests.Host.Hosting;

namespace Datacake.Streams.IntegrationTests.Api.Access;

/// <summary>
/// The real executable in a fixture of its own: a known operator token, a fresh data folder deleted afterwards, and
/// the settings a test class needs (<paramref name="environment"/>).
/// </summary>
public abstract class OperatedHost(IReadOnlyDictionary<string, string> environment) : IAsyncLifetime
{
    public string OperatorToken { get; } = AccessToken.New().Secret;

    public HostProcess Host { get; private set; } = null!;

    public ApiClient Api { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string>(environment) { ["DCS_OPERATOR_TOKEN"] = OperatorToken };
        Host = await HostProcess.StartAsync(settings);
        Api = new ApiClient(Host.Http);
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        Directory.Delete(Host.DataDirectory, recursive: true);
    }
}

/// <summary>
/// The real executable with its FasterLog and SQLite store on disk. ASP.NET Core's request lines (Warning by default)
/// switched on, so that the secret scans of the host's output read the most verbose request logging an operator can turn on.
/// The decoder budget is 2 s instead of 100 ms: these tests check the dry run's fields, errors, reach and rate limit,
/// and a first call on a new decoder thread met 100 ms of wall time in a CI run starved by the parallel suite; the
/// budget itself is tested by <c>JavaScriptDecoderLimitTests</c> and <c>DecoderIsolationTests</c>.
/// </summary>
public sealed class AccessApiHost() : OperatedHost(new Dictionary<string, string>
{
    ["Logging__LogLevel__Microsoft.AspNetCore"] = "Information",
    ["Processing__JavaScript__Timeout"] = "00:00:02",
})
{
    /// <summary>A user with a home workspace, a sub-workspace, a device, a scoped admin token, a webhook, a decoder and an invitation out.</summary>
    public async Task<Tenant> CreateTenantAsync(string label)
    {
        var unique = label + "-" + Guid.NewGuid().ToString("N")[..10];
        var user = await Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", OperatorToken, new { email = $"{unique}@example.test" });
        var token = user.Str("token");
        var me = await Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", token);
        var workspace = me.Str("homeWorkspaceId");
        var sub = await Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/workspaces", token, new { name = $"Sub-{unique}", parentId = workspace });
        var device = await Api.ExpectAsync(
            HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/devices", token, new { name = $"Dev-{unique}", serial = $"SN-{unique}" });
        var subDevice = await Api.ExpectAsync(
            HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{sub.Str("id")}/devices", token, new { name = $"SubDev-{unique}" });
        var adminToken = await Api.ExpectAsync(
            HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/tokens", token, new { name = $"Tok-{unique}", role = "admin" });
        var webhook = await Api.ExpectAsync(
            HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/webhooks", token, new { kind = "tts", devices = new[] { device.Str("id") }, signed = true });
        var decoder = await Api.ExpectAsync(
            HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/decoders", token, new { name = $"Dec-{unique}", source = "function Decoder(b, p) { return {}; }" });
        var guest = await Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", OperatorToken, new { email = $"guest-{unique}@example.test" });
        var invitation = await Api.ExpectAsync(
            HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{workspace}/invitations", token, new { userId = guest.Str("id"), role = "viewer" });
        return new Tenant(
            unique,
            user.Str("id"),
            token,
            workspace,
            sub.Str("id"),
            device.Str("id"),
            subDevice.Str("id"),
            adminToken.Str("id"),
            adminToken.Str("token"),
            webhook.Str("id"),
            decoder.Str("id"),
            invitation.Str("id"),
            guest.Str("id"),
            guest.Str("token"));
    }
}

public sealed record Tenant(
    string Label,
    string UserId,
    string Token,
    string Workspace,
    string SubWorkspace,
    string Device,
    string SubDevice,
    string AdminTokenId,
    string AdminToken,
    string Webhook,
    string Decoder,
    string Invitation,
    string GuestId,
    string GuestToken)
{
    /// <summary>Everything that identifies this tenant's data: none of it may appear in another tenant's answers.</summary>
    public IEnumerable<string> Identifiers =>
        [Label, UserId, Workspace, SubWorkspace, Device, SubDevice, AdminTokenId, Webhook, Decoder, Invitation, GuestId];
}
