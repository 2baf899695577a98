using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Metadata;
using Datacake.Streams.Api.Workspaces;

namespace Datacake.Streams.Api.Decoders;

public sealed record CreateDecoderRequest(string? Name, string? Source);

public sealed record DecoderResponse(string Id, string WorkspaceId, string Name, string Source, DateTimeOffset CreatedAt);

/// <summary>A workspace's JavaScript payload decoders. The dry run is <see cref="DecoderTestEndpoint"/>.</summary>
public static class DecodersEndpoints
{
    public static RouteGroupBuilder MapDecodersApi(this RouteGroupBuilder v1)
    {
        v1.MapPost("/workspaces/{id}/decoders", CreateAsync);
        v1.MapGet("/workspaces/{id}/decoders", ListAsync);
        return v1;
    }

    private static async Task<IResult> CreateAsync(
        string id, HttpContext http, IMetadataStore store, AccessGuard guard, RegistryMirror registry, TimeProvider time, CancellationToken cancellationToken)
    {
        var reach = await guard.WorkspaceAsync(http.Caller(), id, AccessRules.ManageDevices, cancellationToken);
        var body = await JsonBody.ReadAsync<CreateDecoderRequest>(http, cancellationToken);
        if (string.IsNullOrWhiteSpace(body.Source))
        {
            throw ApiProblem.Invalid("source must hold the decoder's JavaScript.");
        }

        var decoder = new DecoderRecord(OpaqueId.New("dec_"), reach.Workspace.Id, WorkspacesEndpoints.ValidName(body.Name), body.Source, time.GetUtcNow());
        await store.CreateDecoderAsync(decoder, cancellationToken);
        await registry.PublishAsync(decoder, cancellationToken);
        return TypedResults.Created($"/v1/decoders/{decoder.Id}", ToResponse(decoder));
    }

    private static async Task<IResult> ListAsync(string id, HttpContext http, IMetadataStore store, AccessGuard guard, CancellationToken cancellationToken)
    {
        var reach = await guard.WorkspaceAsync(http.Caller(), id, AccessRules.Read, cancellationToken);
        var decoders = await store.ListDecodersAsync(reach.Workspace.Id, cancellationToken);
        return TypedResults.Ok(decoders.Select(ToResponse).ToArray());
    }

    private static DecoderResponse ToResponse(DecoderRecord d) => new(d.Id, d.WorkspaceId, d.Name, d.Source, d.CreatedAt);
}
