using Datacake.Streams.Access;
using Datacake.Streams.EdgeAuth;

namespace Datacake.Streams.TestSupport;

/// <summary>
/// A token checked as HTTP ingest checks it (compiled into the test projects only, never shipped): cut out of an
/// <c>Authorization: Bearer</c> header by <see cref="EdgeCredentials"/>, refused as <see cref="AuthenticationResult.Malformed"/>
/// on its format before any hash, then looked up by its SHA-256 with <see cref="RegistryView.AuthenticateFingerprint"/>.
/// </summary>
public static class PresentedTokenCheck
{
    public static AuthenticationResult Authenticate(this RegistryView view, string presentedToken, DateTimeOffset at, out TokenGrant? grant)
    {
        ArgumentNullException.ThrowIfNull(view);
        var credential = EdgeCredentials.FromAuthorization($"{EdgeCredentials.BearerScheme} {presentedToken}".AsSpan());
        if (!credential.IsWellFormed)
        {
            grant = null;
            return AuthenticationResult.Malformed;
        }

        return view.AuthenticateFingerprint(credential.Hash(), at, out grant);
    }

    /// <summary>As of the system clock: for views built without a <see cref="TimeProvider"/> of their own.</summary>
    public static AuthenticationResult Authenticate(this RegistryView view, string presentedToken, out TokenGrant? grant) =>
        view.Authenticate(presentedToken, TimeProvider.System.GetUtcNow(), out grant);
}
