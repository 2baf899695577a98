using System.Text.Json;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Ids;

using Datacake.Streams.Backups;

namespace Datacake.Streams.Api.Backups;

/// <summary>Body of <c>POST /v1/ops/backups/{id}/restore</c>: <c>target</c> "new" (default), <c>swap</c> with <c>confirm</c>.</summary>
public sealed record RestoreRequest(string? Target = null, bool Swap = false, bool Confirm = false);

public sealed record DeviceRestoreRequest(string? DeviceId);

public sealed record BackupStarted(string Id, string Status);

public sealed record BackupListing(IReadOnlyList<BackupEntry> Backups, string? Running, BackupFailed? LastFailure);

public sealed record BackupFailed(string Id, string Reason);

/// <summary>The operator's backup endpoints under <c>/v1/ops/backups</c>.</summary>
public static class BackupEndpoints
{
    public static IEndpointRouteBuilder MapBackupApi(this IEndpointRouteBuilder endpoints)
    {
        if (endpoints.ServiceProvider.GetService<BackupService>() is null)
        {
            // Not an api node: no backups here.
            return endpoints;
        }

        var group = endpoints.MapGroup("/v1/ops/backups").WithTags("Backups").AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var verdict = http.RequestServices.GetRequiredService<IOperatorCheck>().Check(http);
            return verdict.Refusal(http, "Backups are managed with the operator token only.") ?? await next(context);
        });

        group.MapPost("/", async (HttpContext http, BackupService backups, CancellationToken cancellationToken) =>
        {
            var wait = http.Request.Query["wait"] == "true";
            return await Handle(async () =>
            {
                if (!wait)
                {
                    var id = backups.Begin(new BackupRequest());
                    return TypedResults.Accepted($"/v1/ops/backups/{id}", new BackupStarted(id, "running"));
                }

                var manifest = await backups.TakeAsync(new BackupRequest(), cancellationToken);
                return TypedResults.Created($"/v1/ops/backups/{manifest.Id}", backups.Primary.TryRead(manifest.Id));
            });
        });

        group.MapGet("/", (BackupService backups) => TypedResults.Ok(new BackupListing(
            backups.Primary.List(),
            backups.Running,
            backups.LastFailure is { } failure ? new BackupFailed(failure.Id, failure.Reason) : null)));

        group.MapGet("/{id}", (string id, BackupService backups) =>
            backups.Primary.TryRead(id) is { } entry ? TypedResults.Ok(entry) : BackupProblems.From(new BackupException(BackupFailure.NotFound, $"no backup {id}")));

        group.MapPost("/{id}/verify", (string id, BackupService backups, CancellationToken cancellationToken) =>
            Handle(async () => TypedResults.Ok(await backups.VerifyAsync(id, cancellationToken))));

        group.MapPost("/{id}/restore", async (string id, HttpContext http, BackupRestorer restorer, CancellationToken cancellationToken) =>
        {
            var request = await ReadAsync<RestoreRequest>(http, cancellationToken) ?? new RestoreRequest();
            var swap = request.Swap || string.Equals(request.Target, "swap", StringComparison.OrdinalIgnoreCase);
            if (request.Target is { } target && target is not ("new" or "swap"))
            {
                return BackupProblems.Invalid("target is \"new\" (restore into a new database) or \"swap\"");
            }

            return await Handle(async () =>
            {
                var result = await restorer.RestoreAsync(id, swap, request.Confirm, cancellationToken);
                return result.Verified
                    ? TypedResults.Ok(result)
                    : BackupProblems.Create(StatusCodes.Status422UnprocessableEntity, "restore-count-mismatch", "The restore does not hold the manifest's counts", string.Join("; ", result.Problems));
            });
        });

        group.MapPost("/{id}/restore-device", async (string id, HttpContext http, BackupRestorer restorer, CancellationToken cancellationToken) =>
        {
            var request = await ReadAsync<DeviceRestoreRequest>(http, cancellationToken);
            if (!DeviceId.TryParse(request?.DeviceId, out var device))
            {
                return BackupProblems.Invalid("deviceId must be a device id (dev_ + 26 characters)");
            }

            return await Handle(async () => TypedResults.Ok(await restorer.RestoreDeviceAsync(id, device, cancellationToken)));
        });

        return endpoints;
    }

    private static async Task<IResult> Handle(Func<Task<IResult>> work)
    {
        try
        {
            return await work();
        }
        catch (BackupException ex)
        {
            return BackupProblems.From(ex);
        }
    }

    private static async Task<T?> ReadAsync<T>(HttpContext http, CancellationToken cancellationToken)
        where T : class
    {
        if (http.Request.ContentLength is 0 || !http.Request.HasJsonContentType())
        {
            return null;
        }

        try
        {
            return await JsonSerializer.DeserializeAsync<T>(http.Request.Body, BackupManifest.Json, cancellationToken);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
