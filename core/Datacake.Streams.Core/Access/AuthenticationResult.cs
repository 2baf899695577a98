namespace Datacake.Streams.Access;

/// <summary>Why a presented credential was accepted or refused. Only <see cref="Ok"/> grants anything.</summary>
public enum AuthenticationResult
{
    Ok,

    /// <summary>Not a token at all: wrong prefix, length, character or checksum. Refused without a lookup.</summary>
    Malformed,

    /// <summary>Well formed, but no token or webhook with this hash is known.</summary>
    Unknown,

    Disabled,
    Revoked,

    /// <summary>Past its expiry, or a rotated-out secret past its grace deadline.</summary>
    Expired,

    /// <summary>The credential is valid but its scope does not cover what was asked (only from the Authorize* calls).</summary>
    Forbidden,
}
