namespace Datacake.Streams.Access;

/// <summary>
/// The Standard Webhooks signing key a rotation replaced, and until when signatures made with it still verify: the
/// same rule as <see cref="TokenRotation"/> (valid while the instant is before <see cref="ValidUntil"/>, only the latest
/// rotation kept), for a credential that must be held as the key itself rather than as a hash.
/// </summary>
public sealed record SigningSecretRotation(ReadOnlyMemory<byte> PreviousSecret, DateTimeOffset ValidUntil)
{
    public bool IsValidAt(DateTimeOffset at) => at < ValidUntil;
}
