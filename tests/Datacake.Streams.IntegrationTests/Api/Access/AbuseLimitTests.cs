using System.Net;
using Datacake.Streams.Access;
using Datacake.Streams.IntegrationTests.Host.Hosting;
using Datacake.Streams.Problems;

namespace Datacake.Streams.IntegrationTests.Api.Access;

/// <summary>Failed authentications past the budget get 429 and Retry-After, through the real host; valid tokens never do.</summary>
public sealed class AbuseLimitTests
{
    [Fact]
    [Trait("Reliability", "brute-force")]
    public async Task Failed_authentications_beyond_the_burst_get_429_with_retry_after_and_valid_tokens_still_pass()
    {
        var operatorToken = AccessToken.New().Secret;
        var host = await HostProcess.StartAsync(new Dictionary<string, string>
        {
            ["DCS_OPERATOR_TOKEN"] = operatorToken,
            ["Access__FailedAuthenticationBurst"] = "3",
            ["Access__FailedAuthenticationRefill"] = "00:01:00",
        });
        try
        {
            var api = new ApiClient(host.Http);

            // No credential at all is not a guess and costs nothing.
            for (var i = 0; i < 5; i++)
            {
                await api.ExpectAsync(HttpStatusCode.Unauthorized, HttpMethod.Get, "/v1/me", null);
            }

            // A client retrying one stale token: its failures spend the budget of (this address, that token's prefix).
            var stale = AccessToken.New().Secret;
            for (var i = 0; i < 3; i++)
            {
                await api.ExpectAsync(HttpStatusCode.Unauthorized, HttpMethod.Get, "/v1/me", stale);
            }

            var limited = await api.ExpectAsync(HttpStatusCode.TooManyRequests, HttpMethod.Get, "/v1/me", stale);
            Assert.Equal(ProblemTypes.TooManyFailedAuthentications, limited.Str("type"));
            var retryAfter = int.Parse(limited.Message.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(retryAfter, 1, 60);
            await api.ExpectAsync(HttpStatusCode.TooManyRequests, HttpMethod.Get, "/v1/ops/retention", stale);

            // A valid token from the same address is never refused for those failures, and another prefix's budget is whole.
            await api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", operatorToken);
            await api.ExpectAsync(HttpStatusCode.Unauthorized, HttpMethod.Get, "/v1/me", AccessToken.New().Secret);
        }
        finally
        {
            await host.DisposeAsync();
            Directory.Delete(host.DataDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task A_generated_operator_token_is_written_owner_only_and_works()
    {
        var host = await HostProcess.StartAsync();
        try
        {
            var path = Path.Combine(host.DataDirectory, "operator.token");
            Assert.True(File.Exists(path), "operator.token was not written");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            var token = (await File.ReadAllTextAsync(path)).Trim();
            Assert.True(AccessToken.TryValidateFormat(token));

            var api = new ApiClient(host.Http);
            var me = await api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, "/v1/me", token);
            Assert.Equal("operator", me.Str("kind"));
            await api.ExpectAsync(HttpStatusCode.Created, HttpMethod.Post, "/v1/users", token, new { email = "first@example.test" });
            await api.ExpectAsync(HttpStatusCode.Conflict, HttpMethod.Post, "/v1/users", token, new { email = "FIRST@example.test" });
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(host.DataDirectory, "metadata.db")));
        }
        finally
        {
            // Stop the host first: its backup scheduler may be writing under the data folder.
            await host.DisposeAsync();
            Directory.Delete(host.DataDirectory, recursive: true);
        }
    }
}
