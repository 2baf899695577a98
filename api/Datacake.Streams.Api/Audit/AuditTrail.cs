using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Metadata;

namespace Datacake.Streams.Api.Audit;

/// <summary>Endpoint metadata: the routes of this group change things, and each successful change is written to a trail.</summary>
public sealed class AuditedChanges
{
    public static readonly AuditedChanges Instance = new();

    private AuditedChanges()
    {
    }
}

/// <summary>Endpoint metadata: a POST of an audited group that changes nothing (a decoder dry run).</summary>
public sealed class ChangesNothing
{
    public static readonly ChangesNothing Instance = new();

    private ChangesNothing()
    {
    }
}

/// <summary>
/// Writes every successful change (POST, PUT, PATCH, DELETE answered 2xx) of an <see cref="AuditedChanges"/> route to its
/// trail. A middleware rather than a line in each handler, so that a route added later is in the trail without anyone
/// remembering to; ingest and queries carry no such metadata and pass through untouched.
/// </summary>
public static partial class AuditTrail
{
    public static IApplicationBuilder UseAuditTrail(this IApplicationBuilder app) => app.Use(RecordAsync);

    private static async Task RecordAsync(HttpContext context, RequestDelegate next)
    {
        if (context.GetEndpoint() is not RouteEndpoint endpoint
            || !IsChange(context.Request.Method)
            || endpoint.Metadata.GetMetadata<AuditedChanges>() is null
            || endpoint.Metadata.GetMetadata<ChangesNothing>() is not null)
        {
            await next(context);
            return;
        }

        var services = context.RequestServices;
        var store = services.GetRequiredService<IMetadataStore>();
        var rule = AuditScope.RuleOf(endpoint.RoutePattern.RawText ?? string.Empty);
        var id = context.Request.RouteValues.TryGetValue("id", out var value) ? value as string : null;

        // What a DELETE names may be gone after it ran: its trail is looked up first.
        var destination = HttpMethods.IsDelete(context.Request.Method) && rule != AuditScope.Rule.Caller
            ? await AuditScope.ResolveAsync(rule, id, null, store, context.RequestAborted)
            : null;
        await next(context);

        var status = context.Response.StatusCode;
        if (status is < 200 or > 299)
        {
            return;
        }

        var caller = context.Items.TryGetValue(typeof(Caller), out var known) ? known as Caller : null;
        var (actor, actorToken) = caller switch
        {
            UserCaller user => (user.UserId, user.TokenId),
            ScopedCaller scoped => (scoped.Token.Id, (string?)null),
            _ => ("operator", (string?)null),
        };
        var created = context.Response.Headers.Location.ToString();
        if (rule == AuditScope.Rule.CreatedWorkspace)
        {
            id = created.Length > 0 ? created[(created.LastIndexOf('/') + 1)..] : null;
            rule = AuditScope.Rule.Workspace;
        }

        try
        {
            // The change is made: the trail is written whether or not the client is still there to read the answer.
            destination ??= await AuditScope.ResolveAsync(rule, id, (caller as UserCaller)?.UserId, store, CancellationToken.None);
            if (destination is not { } where)
            {
                LogUnattributed(Logger(services), context.Request.Method, endpoint.RoutePattern.RawText);
                return;
            }

            var target = string.Join(' ', context.Request.RouteValues.Select(v => $"{v.Key}={v.Value}"));
            if (created.Length > 0)
            {
                target = target.Length == 0 ? "created=" + created : target + " created=" + created;
            }

            var at = services.GetRequiredService<TimeProvider>().GetUtcNow();
            await store.AppendAuditAsync(
                new AuditEvent(0, at, where.Trail, where.TrailId, actor, actorToken, context.Request.Method + " " + Route(endpoint), target, status),
                CancellationToken.None);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFailed(Logger(services), e, context.Request.Method, endpoint.RoutePattern.RawText);
        }
    }

    /// <summary>The route as a reader writes it: a group's root route comes as "/v1/ops/retention/".</summary>
    private static string Route(RouteEndpoint endpoint) => endpoint.RoutePattern.RawText is { Length: > 1 } raw ? raw.TrimEnd('/') : endpoint.RoutePattern.RawText ?? "/";

    private static bool IsChange(string method) =>
        HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsPatch(method) || HttpMethods.IsDelete(method);

    private static ILogger Logger(IServiceProvider services) => services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AuditTrail));

    [LoggerMessage(Level = LogLevel.Error, Message = "A change by {Method} {Route} succeeded but could not be written to its audit trail")]
    private static partial void LogFailed(ILogger logger, Exception exception, string method, string? route);

    [LoggerMessage(Level = LogLevel.Error, Message = "A change by {Method} {Route} succeeded but names nothing whose trail could be found")]
    private static partial void LogUnattributed(ILogger logger, string method, string? route);
}
