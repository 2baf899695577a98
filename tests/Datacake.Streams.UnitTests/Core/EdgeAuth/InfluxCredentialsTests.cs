using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.EdgeAuth;
using Microsoft.Extensions.Primitives;

namespace Datacake.Streams.UnitTests.Core.EdgeAuth;

/// <summary>Where InfluxDB 1.x clients put the password (the token): Token, Bearer, Basic, or <c>p</c>.</summary>
public sealed class InfluxCredentialsTests
{
    private static readonly string Token = AccessToken.New().Secret;

    public static TheoryData<string?, string?> Presented => new()
    {
        { "Token " + Token, null },
        { "token   " + Token, null },
        { "Bearer " + Token, null },
        { "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("grafana:" + Token)), null },
        { "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(":" + Token)), "not-this" },
        { null, Token },
    };

    [Theory]
    [MemberData(nameof(Presented))]
    public void The_password_is_the_token(string? authorization, string? password)
    {
        PresentedCredential presented = EdgeCredentials.FromInflux(Values(authorization), password, new char[EdgeCredentials.InfluxScratchLength]);
        Assert.Equal(Token, presented.Text.ToString());
        Assert.True(presented.IsWellFormed);
    }

    [Theory]
    [InlineData("Basic not-base64!", null)]
    [InlineData("Basic dXNlcg==", null)]
    [InlineData("Digest abc", "dcs_ignored")]
    [InlineData(null, null)]
    public void Anything_else_presents_nothing(string? authorization, string? password)
    {
        Assert.True(EdgeCredentials.FromInflux(Values(authorization), password, new char[EdgeCredentials.InfluxScratchLength]).IsMissing);
    }

    private static StringValues Values(string? value) => value is null ? StringValues.Empty : new StringValues(value);
}
