using System.Text.RegularExpressions;

namespace Datacake.Streams.UnitTests.Architecture;

/// <summary>
/// One concept, one home: a concept that has a home is not done again elsewhere in production code. Each rule is a
/// pattern that only the home may contain; a second implementation added anywhere else fails here with its file.
/// </summary>
public sealed class OneHomeTests
{
    public static TheoryData<string, string, string> Rules() => new()
    {
        // RFC 3339 and other date-time parsing of text: Payloads/Time/Rfc3339.
        { "time reading", @"DateTimeOffset\.(Try)?Parse|DateTime\.(Try)?Parse|TryGetDateTimeOffset|GetDateTimeOffset\(|TryGetDateTime\(|Utf8Parser\.TryParse\([^)]*out DateTime", "core/Datacake.Streams.Payloads/Time/" },
        // The problem-type namespace: Core/Problems/ProblemTypes.
        { "problem types", @"problems/|:problem:", "core/Datacake.Streams.Core/Problems/" },
        // Reading a bearer token out of a header: Core/EdgeAuth.
        { "bearer parsing", @"""Bearer """, "core/Datacake.Streams.Core/EdgeAuth/" },
        // Failed-authentication limiting: Core/EdgeAuth/FailedAuthenticationBudget.
        { "failed-auth limiting", @"class \w*(FailedAuth|AuthenticationThrottle|AuthenticationLimiter)\w*", "core/Datacake.Streams.Core/EdgeAuth/" },
        // Token-bucket arithmetic (failure budget, ingest quotas, per-token rate, decoder dry runs): Core/EdgeAuth/TokenBucket,
        // and no second rate limiter beside it (System.Threading.RateLimiting cannot be driven by a fake clock).
        { "token buckets", @"class \w*Bucket\b|using System\.Threading\.RateLimiting;|RateLimitPartition\.", "core/Datacake.Streams.Core/EdgeAuth/" },
        // The JSON values format and each network's format: Payloads.
        { "JSON values format", @"class \w*(MeasurementBody|JsonValuesReader)\b", "core/Datacake.Streams.Payloads/" },
        { "network formats", @"class \w*(TtsUplink|ChirpStackUplink|HeliumUplink|ParticleEvent|TtsUplinkParser|ChirpStackEventParser|HeliumUplinkParser|ParticleEventParser)\b", "core/Datacake.Streams.Payloads/" },
        // Hashing and checksums: Core/Crypto and the BCL.
        { "hand-written crypto", @"class \w*(Sha256|Crc32|Hmac)\w*", "core/Datacake.Streams.Core/Crypto/" },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public void Only_its_home_does_it(string concept, string pattern, string home)
    {
        var regex = new Regex(pattern, RegexOptions.CultureInvariant);
        var root = RepositoryRoot.Path;
        var offenders = new List<string>();
        foreach (var folder in new[] { "core", "ingest", "processing", "api", "host" })
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
                if (relative.Contains("/bin/", StringComparison.Ordinal) || relative.Contains("/obj/", StringComparison.Ordinal) || relative.StartsWith(home, StringComparison.Ordinal))
                {
                    continue;
                }

                var lines = File.ReadAllLines(file);
                for (int i = 0; i < lines.Length; i++)
                {
                    var line = lines[i].TrimStart();
                    if (!line.StartsWith("//", StringComparison.Ordinal) && regex.IsMatch(line))
                    {
                        offenders.Add($"{relative}:{i + 1}: {line}");
                    }
                }
            }
        }

        Assert.True(offenders.Count == 0, $"{concept} belongs in {home}; found elsewhere:\n" + string.Join("\n", offenders));
    }
}
