using System.Net;
using Datacake.Streams.Access;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Ids;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Datacake.Streams.IntegrationTests.Api.Access;

/// <summary>The seam the query endpoints use: which devices a bearer token may read, names joined, deleted ones left out.</summary>
public sealed class DeviceReadAccessTests : IAsyncDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("dcs-read-access-").FullName;
    private readonly string _operator = AccessToken.New().Secret;

    public ValueTask DisposeAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task Scopes_list_readable_devices_with_names_and_refuse_the_operator_and_bad_tokens()
    {
        await using var host = await InProcessHost.StartAsync(_directory, _operator);
        var api = host.Api;
        var user = await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", _operator, new { email = "reader@example.test" });
        var token = user.Str("token");
        var home = (await api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", token)).Str("homeWorkspaceId");
        var sub = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/workspaces", token, new { name = "Cellar", parentId = home })).Str("id");
        var boiler = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{home}/devices", token, new { name = "Boiler" })).Str("id");
        var fridge = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{sub}/devices", token, new { name = "Fridge" })).Str("id");
        var gone = (await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{home}/devices", token, new { name = "Gone" })).Str("id");
        var confirm = (await api.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Delete, $"/v1/devices/{gone}", token)).Str("confirm");
        await api.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/v1/devices/{gone}", token, new { confirm });
        var fridgeOnly = (await api.ExpectAsync(
            HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{home}/tokens", token, new { name = "f", devices = new[] { new { id = fridge, access = "read" } } })).Str("token");

        var owner = await ResolveAsync(host, token);
        Assert.Equal(ReadScopeStatus.Ok, owner.Status);
        Assert.Equal(new[] { "Boiler", "Fridge" }, owner.Devices.Select(d => d.Name).Order().ToArray());
        Assert.True(owner.TryGet(DeviceId.Parse(fridge), out var readable));
        Assert.Equal("Cellar", readable!.WorkspaceName);
        Assert.False(owner.TryGet(DeviceId.Parse(gone), out _));

        var scoped = await ResolveAsync(host, fridgeOnly);
        Assert.Equal(ReadScopeStatus.Ok, scoped.Status);
        Assert.Equal(DeviceId.Parse(fridge), Assert.Single(scoped.Devices).Id);
        Assert.False(scoped.TryGet(DeviceId.Parse(boiler), out _));

        Assert.Equal(ReadScopeStatus.Forbidden, (await ResolveAsync(host, _operator)).Status);
        Assert.Equal(ReadScopeStatus.Unauthenticated, (await ResolveAsync(host, AccessToken.New().Secret)).Status);
        Assert.Equal(ReadScopeStatus.Unauthenticated, (await ResolveAsync(host, null)).Status);
    }

    private static async Task<DeviceReadScope> ResolveAsync(InProcessHost host, string? token)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Connection.RemoteIpAddress = IPAddress.Loopback;
        if (token is not null)
        {
            context.Request.Headers.Authorization = "Bearer " + token;
        }

        return await host.Get<IDeviceReadAccess>().ResolveAsync(context, CancellationToken.None);
    }
}
