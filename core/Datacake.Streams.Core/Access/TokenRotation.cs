namespace Datacake.Streams.Access;

/// <summary>
/// The secret a rotation replaced, and until when it still works (the grace period given in the rotate call, default 0).
/// Only the latest rotation is kept: rotating again ends the previous secret's grace at once.
/// </summary>
public sealed record TokenRotation(TokenHash PreviousHash, DateTimeOffset ValidUntil);
