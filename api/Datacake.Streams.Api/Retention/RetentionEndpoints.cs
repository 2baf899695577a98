using System.Text.Json;
using System.Text.Json.Serialization;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Queries;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.Querying;
using Datacake.Streams.Problems;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Datacake.Streams.Api.Retention;

/// <summary><c>GET/PUT /v1/ops/retention</c>: the operator reads and changes the tiers live.</summary>
public static class RetentionEndpoints
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    public static IEndpointRouteBuilder MapRetentionApi(this IEndpointRouteBuilder endpoints)
    {
        RouteGroupBuilder group = endpoints.MapGroup("/v1/ops/retention").WithTags("Retention");
        group.MapGet("/", GetAsync);
        group.MapPut("/", PutAsync);
        return endpoints;
    }

    internal static async Task<Results<Ok<RetentionView>, ProblemHttpResult>> GetAsync(HttpContext context, IOperatorCheck operators, RetentionCatalog catalog, CancellationToken cancellationToken)
    {
        if (Deny(context, operators) is { } denied)
        {
            return denied;
        }

        try
        {
            ObservedRetention observed = await catalog.ObserveAsync(cancellationToken);
            return TypedResults.Ok(RetentionView.From(catalog.Database, await catalog.CurrentAsync(cancellationToken), observed));
        }
        catch (InfluxException ex)
        {
            return QueryProblem.Unavailable(ex.Message);
        }
    }

    internal static async Task<Results<Ok<RetentionUpdated>, ProblemHttpResult>> PutAsync(
        HttpContext context, IOperatorCheck operators, RetentionCatalog catalog, RetentionProvisioner provisioner, CancellationToken cancellationToken)
    {
        if (Deny(context, operators) is { } denied)
        {
            return denied;
        }

        RetentionUpdate? update;
        try
        {
            update = await JsonSerializer.DeserializeAsync<RetentionUpdate>(context.Request.Body, s_json, cancellationToken);
        }
        catch (JsonException ex)
        {
            return QueryProblem.Invalid(ProblemTypes.InvalidRetention, "Invalid retention body", new Dictionary<string, string[]> { ["body"] = [ex.Message] });
        }

        if (update is null)
        {
            return QueryProblem.Invalid(ProblemTypes.InvalidRetention, "Invalid retention body", new Dictionary<string, string[]> { ["body"] = ["a JSON object is required"] });
        }

        try
        {
            // Always against what InfluxDB holds now, not a cached copy: the change is relative to the truth.
            ObservedRetention observed = await catalog.ObserveAsync(cancellationToken);
            RetentionSettings current = observed.Overlay(await catalog.CurrentAsync(cancellationToken));
            var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
            RetentionSettings desired = update.ApplyTo(current, errors);
            foreach ((string key, string[] messages) in errors.Count == 0 ? desired.Validate() : [])
            {
                errors[key] = messages;
            }

            if (errors.Count > 0)
            {
                return QueryProblem.Invalid(ProblemTypes.InvalidRetention, "Invalid retention settings; nothing was changed", errors);
            }

            RetentionApplied applied = await provisioner.ApplyAsync(desired, ApplyMode.Enforce, cancellationToken);
            return TypedResults.Ok(new RetentionUpdated(
                applied.Changes,
                applied.Backfills.Select(b => new BackfillView(b.Tier.Name(), b.From, b.To, b.Reason)).ToList(),
                RetentionView.From(catalog.Database, applied.Settings, await catalog.ObserveAsync(cancellationToken))));
        }
        catch (InfluxException ex)
        {
            return QueryProblem.Unavailable(ex.Message);
        }
    }

    private static ProblemHttpResult? Deny(HttpContext context, IOperatorCheck operators) =>
        operators.Check(context).Refusal(context, "Retention tiers are managed with the operator token only.");
}

/// <summary>The tiers as the API shows them; durations in InfluxQL spelling (<c>30d</c>, <c>2h</c>).</summary>
public sealed record RetentionView(string Database, IReadOnlyDictionary<string, RetentionTierView> Tiers)
{
    public static RetentionView From(string database, RetentionSettings settings, ObservedRetention observed)
    {
        string? Shard(string policy) => observed.Policies.TryGetValue(policy, out ObservedPolicy? p) ? InfluxDuration.Format(p.ShardDuration) : null;
        RetentionTierView Rollup(StorageTier tier) => new(
            InfluxDuration.Format(settings.Duration(tier)),
            Shard(tier.Name()),
            InfluxDuration.Format(tier.Resolution()),
            InfluxDuration.Format(settings.Rollup(tier).LookBack),
            InfluxDuration.Format(settings.Rollup(tier).RefreshEvery),
            RetentionPolicyNames.Raw);

        return new RetentionView(database, new Dictionary<string, RetentionTierView>(StringComparer.Ordinal)
        {
            [RetentionPolicyNames.Raw] = new(InfluxDuration.Format(settings.Raw), Shard(RetentionPolicyNames.Raw), null, null, null, null),
            [RetentionPolicyNames.M1] = Rollup(StorageTier.M1),
            [RetentionPolicyNames.H1] = Rollup(StorageTier.H1),
            [RetentionPolicyNames.Meta] = new(InfluxDuration.Format(settings.Meta), Shard(RetentionPolicyNames.Meta), null, null, null, null),
        });
    }
}

public sealed record RetentionTierView(string Duration, string? ShardDuration, string? Resolution, string? LookBack, string? RefreshEvery, string? RolledUpFrom);

public sealed record BackfillView(string Tier, DateTimeOffset From, DateTimeOffset To, string Reason);

/// <summary>The answer to a PUT: what changed (empty when nothing did), the backfills started, and the tiers now.</summary>
public sealed record RetentionUpdated(IReadOnlyList<RetentionChange> Changes, IReadOnlyList<BackfillView> Backfills, RetentionView Retention);

/// <summary>A PUT body: only the named settings change.</summary>
public sealed record RetentionUpdate
{
    public TierUpdate? Raw { get; init; }

    public TierUpdate? M1 { get; init; }

    public TierUpdate? H1 { get; init; }

    public TierUpdate? Meta { get; init; }

    public RetentionSettings ApplyTo(RetentionSettings current, Dictionary<string, string[]> errors)
    {
        TimeSpan Read(string key, string? text, TimeSpan existing)
        {
            if (text is null)
            {
                return existing;
            }

            if (InfluxDuration.TryParse(text, out TimeSpan parsed))
            {
                return parsed;
            }

            errors[key] = [$"'{text}' is not a duration (e.g. 30d, 8760h, 90m)"];
            return existing;
        }

        void NoRollupSettings(string tier, TierUpdate? update)
        {
            if (update?.LookBack is not null || update?.RefreshEvery is not null)
            {
                errors[tier] = ["only rollup tiers (m1, h1) have lookBack and refreshEvery"];
            }
        }

        RollupSettings Rollup(string name, TierUpdate? update, RollupSettings existing) => existing with
        {
            Duration = Read(name + ".duration", update?.Duration, existing.Duration),
            LookBack = Read(name + ".lookBack", update?.LookBack, existing.LookBack),
            RefreshEvery = Read(name + ".refreshEvery", update?.RefreshEvery, existing.RefreshEvery),
        };

        NoRollupSettings(RetentionPolicyNames.Raw, Raw);
        NoRollupSettings(RetentionPolicyNames.Meta, Meta);
        return current with
        {
            Raw = Read("raw.duration", Raw?.Duration, current.Raw),
            Meta = Read("meta.duration", Meta?.Duration, current.Meta),
            M1 = Rollup(RetentionPolicyNames.M1, M1, current.M1),
            H1 = Rollup(RetentionPolicyNames.H1, H1, current.H1),
        };
    }
}

public sealed record TierUpdate(string? Duration = null, string? LookBack = null, string? RefreshEvery = null);
