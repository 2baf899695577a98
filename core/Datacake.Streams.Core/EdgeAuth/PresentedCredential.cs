using Datacake.Streams.Access;

namespace Datacake.Streams.EdgeAuth;

/// <summary>
/// The secret a request or connection presented, cut out of its header or CONNECT packet by <see cref="EdgeCredentials"/>
/// and not yet looked up. A view over the caller's text: nothing is copied until a hash or a scope is asked for.
/// </summary>
public readonly ref struct PresentedCredential
{
    /// <summary>Leading characters that name a token in a failure scope: <c>dcs_</c> and 8 base62 digits (~48 bits) tell
    /// a device's stale token from another's without keeping enough of a secret to matter.</summary>
    public const int PrefixLength = 12;

    internal PresentedCredential(ReadOnlySpan<char> text) => Text = text;

    /// <summary>The presented text, trimmed; empty when nothing was presented.</summary>
    public ReadOnlySpan<char> Text { get; }

    public bool IsMissing => Text.IsEmpty;

    /// <summary>What is wrong with the text as a <c>dcs_</c> token: checked before any hash or lookup, so garbage costs neither.</summary>
    public TokenFormat Format => AccessToken.Validate(Text);

    public bool IsWellFormed => !IsMissing && Format == TokenFormat.Valid;

    /// <summary>SHA-256 of the text: what the registry, the store and raw records know a token by.</summary>
    public TokenHash Hash() => TokenHash.Of(Text);

    /// <summary>The first <see cref="PrefixLength"/> characters: the failure scope of a bearer token (never the secret).</summary>
    public string Prefix() => Text.Length <= PrefixLength ? Text.ToString() : Text[..PrefixLength].ToString();
}
