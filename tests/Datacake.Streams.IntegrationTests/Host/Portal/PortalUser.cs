using System.Net;
using Datacake.Streams.IntegrationTests.EndToEnd;

namespace Datacake.Streams.IntegrationTests.Host.Portal;

/// <summary>A person of the browser tests: a new user (made by the operator) with their home workspace.</summary>
public sealed record PortalUser(string Id, string Email, string Token, string Workspace)
{
    /// <summary>A new user whose e-mail starts with <paramref name="label"/>.</summary>
    public static async Task<PortalUser> NewAsync(EndToEndHost e2e, string label)
    {
        var email = $"{label}-{Guid.NewGuid():N}@example.test";
        var token = (await e2e.Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", e2e.OperatorToken, new { email })).Str("token");
        var me = (await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", token)).Json;
        return new PortalUser(me.GetProperty("id").GetString()!, email, token, me.GetProperty("homeWorkspaceId").GetString()!);
    }

    /// <summary>This user's role in <paramref name="workspace"/> as the API holds it (read with this user's token).</summary>
    public async Task<string?> RoleOfAsync(EndToEndHost e2e, string workspace, string userId)
    {
        var members = await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/workspaces/{workspace}/members", Token);
        return members.Json.EnumerateArray().Single(m => m.GetProperty("userId").GetString() == userId).GetProperty("role").GetString();
    }
}
