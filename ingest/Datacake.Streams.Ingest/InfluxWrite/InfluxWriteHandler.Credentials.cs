using Datacake.Streams.Access;
using Datacake.Streams.EdgeAuth;
using Datacake.Streams.Ids;
using Microsoft.AspNetCore.Http;

namespace Datacake.Streams.Ingest.InfluxWrite;

public sealed partial class InfluxWriteHandler
{
    /// <summary>
    /// The device the request writes: the one device of a device token (<c>POST /v1/devices/{id}/tokens</c>: no
    /// workspace role, one device, read-write). Null with the answer otherwise. A user's or workspace token is refused
    /// with 403 even when valid: line protocol names no device, so only a credential that is one device says where the
    /// points go (and a leaked user token cannot be turned into writes here).
    /// </summary>
    private InfluxWriteAnswer? Authenticate(HttpContext context, InfluxDialect dialect, DateTimeOffset now, out TokenHash fingerprint, out DeviceId device)
    {
        fingerprint = default;
        device = default;
        Span<char> scratch = stackalloc char[EdgeCredentials.InfluxScratchLength];
        var credential = EdgeCredentials.FromInflux(context.Request.Headers.Authorization, Single(context.Request.Query["p"]), scratch);
        var failed = credential.IsMissing || !credential.IsWellFormed;
        TokenGrant? grant = null;
        if (!failed)
        {
            fingerprint = credential.Hash();
            failed = registry.AuthenticateFingerprint(fingerprint, now, out grant) != AuthenticationResult.Ok;
        }

        if (failed)
        {
            // As HTTP ingest: only failures spend the budget, and only this token prefix's from this address.
            if (!failures.TrySpend(context.Connection.RemoteIpAddress, FailureScope.TokenPrefix(credential), out var retryAfter))
            {
                SetRetryAfter(context, retryAfter);
                return InfluxWriteAnswer.TooManyRequests(dialect, "too many failed authentications from this address; retry after Retry-After");
            }

            return InfluxWriteAnswer.Unauthorized(dialect);
        }

        if (grant!.Role != WorkspaceRole.None || grant.Devices.Length != 1 || !registry.CanWrite(grant, grant.Devices[0].Device, now))
        {
            return InfluxWriteAnswer.Forbidden(dialect, "write needs a device token with write access (POST /v1/devices/{id}/tokens): its device receives the points");
        }

        device = grant.Devices[0].Device;
        return null;
    }

    private static string? Single(Microsoft.Extensions.Primitives.StringValues values) => values.Count == 1 ? values[0] : null;

    private static void SetRetryAfter(HttpContext context, TimeSpan wait) =>
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
