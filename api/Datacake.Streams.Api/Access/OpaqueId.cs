using System.Security.Cryptography;

namespace Datacake.Streams.Api.Access;

/// <summary>Ids of users, workspaces, tokens, ...: a type prefix and 96 random bits, so that none can be guessed or counted.</summary>
public static class OpaqueId
{
    public static string New(string prefix)
    {
        Span<byte> random = stackalloc byte[12];
        RandomNumberGenerator.Fill(random);
        return prefix + Convert.ToHexStringLower(random);
    }
}
