using System.Net;
using System.Text.Json;
using Datacake.Streams.Access;
using Datacake.Streams.TestSupport.Reliability;
using Microsoft.AspNetCore.Routing;

namespace Datacake.Streams.IntegrationTests.Api.Access;

/// <summary>
/// The BOLA and scope matrices generated from the host's own route table: every route the node maps (read from its
/// endpoint data source, so a new route is in the matrix the day it is mapped) × every kind of caller, with the route
/// parameters filled from workspace A's real ids. Each answer must be what the caller's scope allows, and no answer to
/// workspace B's callers or to a former member names anything of A.
/// </summary>
public sealed class RouteScopeMatrixTests : IAsyncLifetime
{
    private const string Row = "scope-matrix";

    /// <summary>Answers that refuse a live caller: 403 (known but not allowed) or 404 (out of scope answers like absent).</summary>
    private static readonly HttpStatusCode[] _refused = [HttpStatusCode.Forbidden, HttpStatusCode.NotFound];

    private readonly string _directory = Directory.CreateTempSubdirectory("dcs-matrix-").FullName;
    private readonly string _operator = AccessToken.New().Secret;
    private InProcessHost _host = null!;

    private ApiClient Api => _host.Api;

    public async Task InitializeAsync()
    {
        // The matrix sends hundreds of refused credentials from one address, and dry runs from each caller: the
        // budgets that would answer 429 instead are lifted (they have tests of their own, AbuseLimitTests).
        _host = await InProcessHost.StartAsync(_directory, _operator,
        [
            "Access:FailedAuthenticationBurst=1000000",
            "Decoders:DryRun:PermitLimit=10000",
            "Decoders:DryRun:Window=1.00:00:00",
        ]);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    [Trait("Reliability", "scope-matrix")]
    public async Task Every_route_of_the_host_answers_every_kind_of_caller_as_its_scope_allows_and_leaks_nothing_of_A()
    {
        var routes = HostRoutes();
        var unclassified = routes.Where(route => !RouteAccessCatalog.Rules.ContainsKey(route)).ToList();
        var stale = RouteAccessCatalog.Rules.Keys.Where(key => !routes.Contains(key)).ToList();
        Assert.True(
            unclassified.Count == 0 && stale.Count == 0,
            "routes of the host nobody classified (add each to RouteAccessCatalog):\n" + string.Join('\n', unclassified)
            + "\nclassified routes the host no longer maps:\n" + string.Join('\n', stale));

        var a = await WorkspaceWorld.CreateAsync(Api, _operator, "alpha");
        var b = await WorkspaceWorld.CreateAsync(Api, _operator, "bravo");
        var callers = await CallersAsync(a, b);
        var failures = new List<string>();
        var calls = 0;
        foreach (var route in routes)
        {
            var rule = RouteAccessCatalog.Rules[route];
            var method = new HttpMethod(route[..route.IndexOf(' ', StringComparison.Ordinal)]);
            var pattern = route[(route.IndexOf(' ', StringComparison.Ordinal) + 1)..];

            // Refused callers first: a refusal changes nothing, so the allowed callers after them meet the same state.
            foreach (var caller in callers.OrderBy(c => Expect(rule.Access, c.Kind) == Expectation.Allowed))
            {
                var targets = rule.FreshTargets ? await a.FreshTargetsAsync() : a.SharedTargets;
                var (path, body) = Fill(pattern, rule, targets);
                var answer = await Api.SendAsync(method, path, caller.Token, body);
                calls++;
                var expectation = Expect(rule.Access, caller.Kind);
                if (Judge(expectation, answer.Status) is { } wrong)
                {
                    failures.Add($"{caller.Name}: {method} {path} answered {(int)answer.Status}, expected {wrong}: {Shorten(answer.Body)}");
                }

                if (caller.MustSeeNothingOfA(rule.Access))
                {
                    // A 401 is decided before any lookup: an id it repeats from the request's own path tells nothing.
                    var echoed = answer.Status == HttpStatusCode.Unauthorized ? path : "";
                    foreach (var identifier in a.Identifiers.Where(id => answer.Body.Contains(id, StringComparison.Ordinal) && !echoed.Contains(id, StringComparison.Ordinal)))
                    {
                        failures.Add($"{caller.Name}: {method} {path} names A's {identifier}: {Shorten(answer.Body)}");
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {calls} answers broke the scope:\n" + string.Join('\n', failures));

        // A's things the allowed callers were aimed at are still A's, and B's callers changed nothing of A's.
        await Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/devices/{a.Device}", a.OwnerToken);
        ReliabilityRecorder.Record(Row, new ReliabilityNumbers
        {
            Sent = calls,
            Note = $"{routes.Count} routes from the host's route table × {callers.Count} kinds of caller",
        });
    }

    /// <summary>Every route of the running host as <c>"METHOD /pattern"</c>, from its endpoint data source.</summary>
    private List<string> HostRoutes()
    {
        var source = _host.Get<EndpointDataSource>();
        var routes = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var endpoint in source.Endpoints.OfType<RouteEndpoint>())
        {
            var pattern = endpoint.RoutePattern.RawText ?? "";
            pattern = "/" + pattern.Trim('/');
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            foreach (var method in methods)
            {
                routes.Add($"{method} {pattern}");
            }
        }

        return [.. routes];
    }

    private async Task<List<Caller>> CallersAsync(WorkspaceWorld a, WorkspaceWorld b)
    {
        var grant = (string access) => new { name = "scoped-" + access, devices = new[] { new { id = a.Device, access } } };
        var read = (await Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{a.Workspace}/tokens", a.OwnerToken, grant("read"))).Str("token");
        var readWrite = (await Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{a.Workspace}/tokens", a.OwnerToken, grant("read-write"))).Str("token");
        var device = (await Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/devices/{a.Device}/tokens", a.OwnerToken)).Str("token");
        var revoked = await Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{a.Workspace}/tokens", a.OwnerToken, new { name = "revoked", role = "admin" });
        await Api.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/v1/tokens/{revoked.Str("id")}", a.OwnerToken);
        var disabled = await Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{a.Workspace}/tokens", a.OwnerToken, new { name = "disabled", role = "admin" });
        await Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/tokens/{disabled.Str("id")}/disable", a.OwnerToken);
        var viewer = await a.MemberAsync("viewer");
        var removed = await a.MemberAsync("viewer");
        await Api.ExpectAsync(HttpStatusCode.NoContent, HttpMethod.Delete, $"/v1/workspaces/{a.Workspace}/members/{removed.Id}", a.OwnerToken);
        var bDevice = (await Api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/devices/{b.Device}/tokens", b.OwnerToken)).Str("token");
        return
        [
            new("anonymous", CallerKind.Anonymous, null),
            new("A's revoked admin token", CallerKind.Dead, revoked.Str("token")),
            new("A's disabled admin token", CallerKind.Dead, disabled.Str("token")),
            new("A's owner", CallerKind.Owner, a.OwnerToken),
            new("A's admin token", CallerKind.Admin, a.AdminToken),
            new("A's viewer", CallerKind.Viewer, viewer.Token),
            new("A's removed member", CallerKind.Removed, removed.Token),
            new("A's read token", CallerKind.DeviceReader, read),
            new("A's read-write token", CallerKind.DeviceWriter, readWrite),
            new("A's device token", CallerKind.DeviceWriter, device),
            new("B's owner", CallerKind.Other, b.OwnerToken),
            new("B's admin token", CallerKind.Other, b.AdminToken),
            new("B's device token", CallerKind.OtherDevice, bDevice),
        ];
    }

    private static (string Path, object? Body) Fill(string pattern, RouteRule rule, Targets targets)
    {
        var id = rule.Target switch
        {
            RouteTarget.None => "",
            RouteTarget.Workspace => targets.Workspace,
            RouteTarget.Device => targets.Device,
            RouteTarget.Token => targets.TokenId,
            RouteTarget.Webhook => targets.Webhook,
            RouteTarget.Decoder => targets.Decoder,
            RouteTarget.Invitation => targets.Invitation,
            RouteTarget.User => targets.UserId,
            RouteTarget.Backup => "bk-matrix",
            _ => throw new ArgumentOutOfRangeException(nameof(rule), rule.Target, null),
        };
        var path = (pattern + rule.Query).Replace("{id}", id, StringComparison.Ordinal).Replace("{userId}", targets.MemberId, StringComparison.Ordinal)
            .Replace("{documentName?}", "v1", StringComparison.Ordinal).Replace("{documentName}", "v1", StringComparison.Ordinal);
        Assert.DoesNotContain("{", path.Split('?')[0], StringComparison.Ordinal);
        var body = rule.Body switch
        {
            null => null,
            string text => text,
            var value => (object)JsonSerializer.Serialize(value, JsonSerializerOptions.Web).Replace("{id}", id, StringComparison.Ordinal),
        };
        return (path, body);
    }

    private static Expectation Expect(RouteAccess access, CallerKind caller)
    {
        if (access == RouteAccess.Public)
        {
            return Expectation.Any;
        }

        // A dead token on the operator's backup and retention routes is answered 403 "operator only" (not 401 as on
        // every other route): refused either way, so the matrix takes both there.
        if (caller == CallerKind.Dead && access == RouteAccess.Operator)
        {
            return Expectation.Rejected;
        }

        if (caller is CallerKind.Anonymous or CallerKind.Dead || access == RouteAccess.OperatorElseUnauthenticated)
        {
            return Expectation.Unauthenticated;
        }

        return access switch
        {
            RouteAccess.Operator => Expectation.Forbidden,
            RouteAccess.Self or RouteAccess.ScopedQuery => Expectation.Answered,
            RouteAccess.WorkspaceMember => caller is CallerKind.Owner or CallerKind.Admin or CallerKind.Viewer ? Expectation.Allowed : Expectation.Refused,
            RouteAccess.WorkspaceAdmin => caller switch
            {
                CallerKind.Owner or CallerKind.Admin => Expectation.Allowed,
                CallerKind.Viewer => Expectation.Forbidden,
                _ => Expectation.Refused,
            },
            RouteAccess.DeviceReader => caller is CallerKind.Owner or CallerKind.Admin or CallerKind.Viewer or CallerKind.DeviceReader or CallerKind.DeviceWriter
                ? Expectation.Allowed : Expectation.Refused,
            RouteAccess.DeviceAdmin => caller is CallerKind.Owner or CallerKind.Admin ? Expectation.Allowed : Expectation.Refused,
            RouteAccess.DeviceWriter => caller is CallerKind.DeviceWriter or CallerKind.Admin ? Expectation.Allowed
                : caller is CallerKind.OtherDevice ? Expectation.Answered : Expectation.Rejected,
            RouteAccess.LineProtocolWriter => caller is CallerKind.DeviceWriter ? Expectation.Allowed
                : caller is CallerKind.OtherDevice ? Expectation.Answered : Expectation.Rejected,
            RouteAccess.WebhookCredential or RouteAccess.Invitee => Expectation.Rejected,
            _ => throw new ArgumentOutOfRangeException(nameof(access), access, null),
        };
    }

    /// <summary>Null when <paramref name="status"/> meets <paramref name="expectation"/>, else what was expected.</summary>
    private static string? Judge(Expectation expectation, HttpStatusCode status)
    {
        var code = (int)status;
        if (code >= 500)
        {
            return "no server error";
        }

        return expectation switch
        {
            Expectation.Any => null,
            Expectation.Unauthenticated => status == HttpStatusCode.Unauthorized ? null : "401",

            // Allowed: done, or refused for the request's own content (a dummy body, a state conflict), never for the caller.
            Expectation.Allowed => status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.NotFound or HttpStatusCode.TooManyRequests
                ? "an answer to the request (2xx, or 400/409/422 for its content)" : null,
            Expectation.Answered => status is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests ? "an answer to a live credential" : null,
            Expectation.Forbidden => status == HttpStatusCode.Forbidden ? null : "403",
            Expectation.Refused => _refused.Contains(status) ? null : "403 or 404",
            Expectation.Rejected => status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.NotFound ? null : "401, 403 or 404",
            _ => throw new ArgumentOutOfRangeException(nameof(expectation), expectation, null),
        };
    }

    private static string Shorten(string body) => body.Length <= 300 ? body : body[..300] + "…";

    private enum Expectation
    {
        /// <summary>Any answer but a server error.</summary>
        Any,
        Unauthenticated,
        Allowed,

        /// <summary>Served (not 401): what it serves is the caller's own, checked by the leak scan.</summary>
        Answered,
        Forbidden,
        Refused,

        /// <summary>Refused as a credential the route does not take: 401, 403 or 404.</summary>
        Rejected,
    }

    private enum CallerKind
    {
        Anonymous,

        /// <summary>A's revoked or disabled token.</summary>
        Dead,
        Owner,
        Admin,
        Viewer,
        Removed,
        DeviceReader,
        DeviceWriter,
        Other,
        OtherDevice,
    }

    private sealed record Caller(string Name, CallerKind Kind, string? Token)
    {
        /// <summary>
        /// B's callers never see anything of A; a former member not on any route about a workspace or a device (its own
        /// trail, about itself, may still tell of its time in A).
        /// </summary>
        public bool MustSeeNothingOfA(RouteAccess access) =>
            Kind is CallerKind.Other or CallerKind.OtherDevice || (Kind == CallerKind.Removed && access != RouteAccess.Self);
    }

    /// <summary>A's things a route's parameters name.</summary>
    private sealed record Targets(string Workspace, string Device, string TokenId, string Webhook, string Decoder, string Invitation, string UserId, string MemberId);

    /// <summary>One tenant: an owner, an admin token, a device, a decoder, and targets for the matrix to aim at.</summary>
    private sealed class WorkspaceWorld
    {
        private readonly ApiClient _api;
        private readonly string _operator;
        private readonly List<string> _identifiers = [];
        private int _made;

        private WorkspaceWorld(ApiClient api, string operatorToken, string label)
        {
            _api = api;
            _operator = operatorToken;
            Label = label;
        }

        public string Label { get; }

        public string OwnerToken { get; private set; } = "";

        public string OwnerId { get; private set; } = "";

        public string Workspace { get; private set; } = "";

        public string Device { get; private set; } = "";

        public string AdminToken { get; private set; } = "";

        public Targets SharedTargets { get; private set; } = null!;

        /// <summary>Everything that identifies A's data; grows with every target made.</summary>
        public IReadOnlyList<string> Identifiers => _identifiers;

        public static async Task<WorkspaceWorld> CreateAsync(ApiClient api, string operatorToken, string label)
        {
            var world = new WorkspaceWorld(api, operatorToken, label + "-" + Guid.NewGuid().ToString("N")[..10]);
            var user = await world.UserAsync();
            world.OwnerToken = user.Token;
            world.OwnerId = user.Id;
            world.Workspace = (await api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", user.Token)).Str("homeWorkspaceId");
            world._identifiers.AddRange([world.Label, world.Workspace, world.OwnerId]);
            world.Device = await world.MakeAsync(HttpMethod.Post, $"/v1/workspaces/{world.Workspace}/devices", new { name = $"Dev-{world.Label}", serial = $"SN-{world.Label}" });
            var admin = await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, $"/v1/workspaces/{world.Workspace}/tokens", user.Token, new { name = $"Admin-{world.Label}", role = "admin" });
            world.AdminToken = admin.Str("token");
            world._identifiers.Add(admin.Str("id"));
            world.SharedTargets = await world.FreshTargetsAsync();
            return world;
        }

        /// <summary>A new token, webhook, decoder, invitation and member of A's workspace (its device is the shared one, which A's scoped tokens name).</summary>
        public async Task<Targets> FreshTargetsAsync()
        {
            var token = await MakeAsync(HttpMethod.Post, $"/v1/workspaces/{Workspace}/tokens", new { name = $"Victim-{Label}-{++_made}", role = "viewer" });
            var webhook = await MakeAsync(HttpMethod.Post, $"/v1/workspaces/{Workspace}/webhooks", new { kind = "tts", devices = new[] { Device }, signed = true });
            var decoder = await MakeAsync(HttpMethod.Post, $"/v1/workspaces/{Workspace}/decoders", new { name = $"Dec-{Label}-{_made}", source = "function Decoder(b, p) { return { first: b[0] }; }" });
            var invitee = await UserAsync();
            var invitation = await MakeAsync(HttpMethod.Post, $"/v1/workspaces/{Workspace}/invitations", new { userId = invitee.Id, role = "viewer" });
            var member = await MemberAsync("viewer");
            return new Targets(Workspace, Device, token, webhook, decoder, invitation, OwnerId, member.Id);
        }

        /// <summary>A user invited into A's workspace with <paramref name="role"/> who accepted.</summary>
        public async Task<(string Id, string Token)> MemberAsync(string role)
        {
            var user = await UserAsync();
            var invitation = await MakeAsync(HttpMethod.Post, $"/v1/workspaces/{Workspace}/invitations", new { userId = user.Id, role });
            await _api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Post, $"/v1/invitations/{invitation}/accept", user.Token);
            return user;
        }

        private async Task<(string Id, string Token)> UserAsync()
        {
            var user = await _api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", _operator, new { email = $"u{++_made}-{Label}@example.test" });
            _identifiers.Add(user.Str("id"));
            return (user.Str("id"), user.Str("token"));
        }

        private async Task<string> MakeAsync(HttpMethod method, string path, object body)
        {
            var id = (await _api.ExpectAsync(HttpStatusCode.Created, method, path, OwnerToken, body)).Str("id");
            _identifiers.Add(id);
            return id;
        }
    }
}
