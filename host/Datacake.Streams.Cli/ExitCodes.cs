namespace Datacake.Streams.Cli;

/// <summary>What <c>dcs</c> exits with, for scripts (docs/OPERATIONS.md lists them).</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>Unknown command, missing or malformed option, 400 from the API.</summary>
    public const int Usage = 2;

    /// <summary>No operator token, or the API refused it (401/403).</summary>
    public const int Auth = 3;

    public const int NotFound = 4;

    /// <summary>5xx, a busy server (409), or the API did not answer.</summary>
    public const int Server = 5;

    /// <summary>A checksum or count did not match a manifest (verify, restore, drill).</summary>
    public const int VerificationFailed = 6;

    public static int FromStatus(int status) => status switch
    {
        >= 200 and < 300 => Ok,
        400 => Usage,
        401 or 403 => Auth,
        404 => NotFound,
        422 => VerificationFailed,
        _ => Server,
    };
}
