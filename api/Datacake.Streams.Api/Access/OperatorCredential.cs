using Datacake.Streams.Files;
using System.Text;
using Datacake.Streams.Access;

namespace Datacake.Streams.Api.Access;

/// <summary>
/// The operator's token, held as its SHA-256 only. Configured (<c>Access:OperatorToken</c>), else made at first start
/// into <c>&lt;data&gt;/operator.token</c> (mode 0600) and read from there on later starts.
/// </summary>
public sealed class OperatorCredential
{
    public const string FileName = "operator.token";

    private OperatorCredential(TokenHash hash) => Hash = hash;

    public TokenHash Hash { get; }

    public static OperatorCredential Load(AccessOptions options, string dataDirectory)
    {
        if (!string.IsNullOrEmpty(options.OperatorToken))
        {
            return new OperatorCredential(TokenHash.Of(options.OperatorToken));
        }

        var path = Path.Combine(dataDirectory, FileName);
        if (File.Exists(path))
        {
            return new OperatorCredential(TokenHash.Of(File.ReadAllText(path).Trim()));
        }

        PrivateFile.CreateDirectory(dataDirectory);
        var token = AccessToken.New();
        PrivateFile.WriteAllBytes(path, Encoding.ASCII.GetBytes(token.Secret + "\n"));
        return new OperatorCredential(token.Hash);
    }

    public bool Matches(TokenHash presented) => presented == Hash;
}
