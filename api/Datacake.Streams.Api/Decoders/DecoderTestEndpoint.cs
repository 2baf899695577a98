using Datacake.Streams.Api.Audit;
using Datacake.Streams.Access;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Metadata;
using Datacake.Streams.Problems;

namespace Datacake.Streams.Api.Decoders;

/// <summary>Body of <c>POST /v1/decoders/{id}/test</c>: the uplink bytes as base64 and the LoRaWAN port (default 1).</summary>
public sealed record DecoderTestRequest(string? Payload, int? Port);

/// <summary>The fields the decoder would write into <c>values</c>, in decoder order (a repeated name keeps the last value).</summary>
public sealed record DecoderTestResponse(IReadOnlyDictionary<string, object?> Fields);

/// <summary>
/// The decoder dry run: runs a saved decoder on sample bytes with production limits (<see cref="IDecoderDryRun"/>).
/// Needs read access to the decoder's workspace; a decoder out of reach answers 404 like one that does not exist.
/// A failing decoder answers 422 with its error as the problem's detail. Limited per caller (<see cref="DecoderDryRunLimiter"/>):
/// 429 <c>rate-limited</c> with Retry-After beyond it.
/// </summary>
public static class DecoderTestEndpoint
{
    /// <summary>A LoRaWAN FRMPayload is at most 242 bytes; raw HTTP bytes may be larger, 64 KiB bounds a test.</summary>
    public const int MaxPayloadBytes = 64 * 1024;

    public static RouteGroupBuilder MapDecoderTestApi(this RouteGroupBuilder v1)
    {
        v1.MapPost("/decoders/{id}/test", TestAsync).WithMetadata(ChangesNothing.Instance);
        return v1;
    }

    private static async Task<IResult> TestAsync(
        string id, HttpContext http, AccessGuard guard, IDecoderDryRun dryRun, DecoderDryRunLimiter limiter, CancellationToken cancellationToken)
    {
        var caller = http.Caller();
        var decoder = (await guard.DecoderAsync(caller, id, cancellationToken)).Decoder;

        var body = await JsonBody.ReadAsync<DecoderTestRequest>(http, cancellationToken);
        var port = body.Port ?? 1;
        if (port is < 0 or > 255)
        {
            throw ApiProblem.Invalid("port must be 0 to 255.");
        }

        var payload = DecodePayload(body.Payload);

        // Counted only once the request would run: a refused or malformed request costs no CPU and no permit.
        using var slot = limiter.Acquire(caller);
        var result = dryRun.Run(new DecoderEntry(decoder.Id, decoder.WorkspaceId, decoder.Source), payload, (uint)port);
        if (!result.Succeeded)
        {
            return new ApiProblem(StatusCodes.Status422UnprocessableEntity, ProblemTypes.DecodeFailed, "The decoder failed", result.Error).ToResult(http);
        }

        var fields = new Dictionary<string, object?>(result.Fields.Count, StringComparer.Ordinal);
        foreach (var (name, value) in result.Fields)
        {
            fields[name] = value;
        }

        return TypedResults.Ok(new DecoderTestResponse(fields));
    }

    private static byte[] DecodePayload(string? base64)
    {
        if (base64 is null)
        {
            throw ApiProblem.Invalid("payload must hold the bytes as base64.");
        }

        if (base64.Length > ((MaxPayloadBytes + 2) / 3 * 4) + 4)
        {
            throw ApiProblem.Invalid($"payload is larger than {MaxPayloadBytes} bytes.");
        }

        var bytes = new byte[(base64.Length * 3 / 4) + 3];
        if (!Convert.TryFromBase64String(base64, bytes, out var written) || written > MaxPayloadBytes)
        {
            throw ApiProblem.Invalid($"payload must be valid base64 of at most {MaxPayloadBytes} bytes.");
        }

        return bytes[..written];
    }
}
