using Datacake.Streams.Api.Metadata;

namespace Datacake.Streams.Api.Access;

/// <summary>Who a request's bearer token turned out to be.</summary>
public abstract record Caller
{
    private protected Caller()
    {
    }

    /// <summary>What a token the caller creates records as its creator (never a secret).</summary>
    public abstract string Identity { get; }
}

/// <summary>The operator: manages users, retention and backups; reads and changes no workspace's data.</summary>
public sealed record OperatorCaller : Caller
{
    public static readonly OperatorCaller Instance = new();

    public override string Identity => "operator";
}

/// <summary>A person with their own token; roles come from memberships as the store holds them now (remembered only until its next write).</summary>
public sealed record UserCaller(string UserId, string TokenId, IReadOnlyDictionary<string, Datacake.Streams.Access.WorkspaceRole> Memberships) : Caller
{
    public override string Identity => UserId;
}

/// <summary>A scoped token: a role within its workspace subtree and/or devices one by one.</summary>
public sealed record ScopedCaller(TokenRecord Token) : Caller
{
    public override string Identity => Token.Id;
}
