using Datacake.Streams.Access;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Metadata;
using Datacake.Streams.Api.Workspaces;

namespace Datacake.Streams.Api.Decoders;

public sealed record CreateDecoderRequest(string? Name, string? Source);

/// <summary>Body of <c>PATCH /v1/decoders/{id}</c>: what is given changes; a new source is a new version.</summary>
public sealed record UpdateDecoderRequest(string? Name, string? Source);

public sealed record DecoderResponse(string Id, string WorkspaceId, string Name, string Source, DateTimeOffset CreatedAt);

/// <summary>One decoder with its state: whether processing runs it or has suspended it, why and since when.</summary>
public sealed record DecoderDetails(string Id, string WorkspaceId, string Name, string Source, DateTimeOffset CreatedAt, DecoderState State);

/// <summary>
/// A workspace's JavaScript payload decoders: create, list, get (with its state), edit. An edit publishes the new
/// source on the registry; processing runs the new version from then on, so a suspended decoder resumes when edited.
/// The dry run is <see cref="DecoderTestEndpoint"/>.
/// </summary>
public static class DecodersEndpoints
{
    public static RouteGroupBuilder MapDecodersApi(this RouteGroupBuilder v1)
    {
        v1.MapPost("/workspaces/{id}/decoders", CreateAsync);
        v1.MapGet("/workspaces/{id}/decoders", ListAsync);
        v1.MapGet("/decoders/{id}", GetAsync);
        v1.MapPatch("/decoders/{id}", UpdateAsync);
        return v1;
    }

    private static async Task<IResult> CreateAsync(
        string id, HttpContext http, IMetadataStore store, AccessGuard guard, RegistryMirror registry, TimeProvider time, CancellationToken cancellationToken)
    {
        var reach = await guard.WorkspaceAsync(http.Caller(), id, AccessRules.ManageDevices, cancellationToken);
        var body = await JsonBody.ReadAsync<CreateDecoderRequest>(http, cancellationToken);
        var decoder = new DecoderRecord(OpaqueId.New("dec_"), reach.Workspace.Id, WorkspacesEndpoints.ValidName(body.Name), ValidSource(body.Source), time.GetUtcNow());
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

    private static async Task<IResult> GetAsync(string id, HttpContext http, AccessGuard guard, IDecoderStates states, CancellationToken cancellationToken)
    {
        var reach = await guard.DecoderAsync(http.Caller(), id, cancellationToken);
        return TypedResults.Ok(ToDetails(reach.Decoder, states));
    }

    private static async Task<IResult> UpdateAsync(
        string id, HttpContext http, IMetadataStore store, AccessGuard guard, RegistryMirror registry, IDecoderStates states, CancellationToken cancellationToken)
    {
        var reach = await guard.DecoderAsync(http.Caller(), id, cancellationToken);
        AccessGuard.RequireRole(reach.Role, AccessRules.ManageDevices);
        var body = await JsonBody.ReadAsync<UpdateDecoderRequest>(http, cancellationToken);
        var decoder = reach.Decoder;
        if (body.Name is not null)
        {
            decoder = decoder with { Name = WorkspacesEndpoints.ValidName(body.Name) };
        }

        if (body.Source is not null)
        {
            decoder = decoder with { Source = ValidSource(body.Source) };
        }

        if (!await store.UpdateDecoderAsync(decoder, cancellationToken))
        {
            throw ApiProblem.NotFound("decoder");
        }

        // Processing tells versions apart by the source's hash: a new source resumes a suspended decoder, a new name
        // alone does not (docs/PROCESSING.md, "Suspension").
        await registry.PublishAsync(decoder, cancellationToken);
        return TypedResults.Ok(ToDetails(decoder, states));
    }

    private static string ValidSource(string? source) =>
        string.IsNullOrWhiteSpace(source) ? throw ApiProblem.Invalid("source must hold the decoder's JavaScript.") : source;

    private static DecoderResponse ToResponse(DecoderRecord d) => new(d.Id, d.WorkspaceId, d.Name, d.Source, d.CreatedAt);

    private static DecoderDetails ToDetails(DecoderRecord d, IDecoderStates states) =>
        new(d.Id, d.WorkspaceId, d.Name, d.Source, d.CreatedAt, states.StateOf(new DecoderEntry(d.Id, d.WorkspaceId, d.Source)));
}
