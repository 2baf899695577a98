using CsCheck;
using Datacake.Streams.Access;
using Datacake.Streams.EdgeAuth;

namespace Datacake.Streams.UnitTests.Core.EdgeAuth;

public sealed class EdgeCredentialsTests
{
    private static readonly string Token = AccessToken.New().Secret;

    [Theory]
    [InlineData("Bearer {0}")]
    [InlineData("bearer {0}")]
    [InlineData("BEARER   {0}  ")]
    [InlineData("Bearer\t{0}")]
    public void A_bearer_header_yields_the_token(string format)
    {
        var presented = EdgeCredentials.FromAuthorization(string.Format(System.Globalization.CultureInfo.InvariantCulture, format, Token).AsSpan());
        Assert.Equal(Token, presented.Text.ToString());
        Assert.True(presented.IsWellFormed);
        Assert.True(TokenHash.Of(Token).Equals(presented.Hash()));
        Assert.Equal(Token[..PresentedCredential.PrefixLength], presented.Prefix());
    }

    [Theory]
    [InlineData("")]
    [InlineData("Bearer")]
    [InlineData("Bearer ")]
    [InlineData("Bearerdcs_x")]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Token abc")]
    public void Anything_but_a_bearer_credential_is_missing(string header)
    {
        Assert.True(EdgeCredentials.FromAuthorization(header.AsSpan()).IsMissing);
    }

    [Fact]
    public void A_header_sent_twice_or_not_at_all_is_missing()
    {
        Assert.True(EdgeCredentials.FromAuthorization(new[] { "Bearer " + Token, "Bearer " + Token }).IsMissing);
        Assert.True(EdgeCredentials.FromAuthorization(Array.Empty<string?>()).IsMissing);
        Assert.Equal(Token, EdgeCredentials.FromAuthorization(new[] { "Bearer " + Token }).Text.ToString());
    }

    [Fact]
    public void A_webhook_token_header_wins_over_a_bearer_token_and_a_bearer_token_is_the_fallback()
    {
        var other = AccessToken.New().Secret;
        Assert.Equal(Token, EdgeCredentials.FromWebhook(new[] { " " + Token + " " }, new[] { "Bearer " + other }).Text.ToString());
        Assert.Equal(other, EdgeCredentials.FromWebhook(Array.Empty<string?>(), new[] { "Bearer " + other }).Text.ToString());
        Assert.Equal(other, EdgeCredentials.FromWebhook(new[] { "   " }, new[] { "Bearer " + other }).Text.ToString());
        Assert.True(EdgeCredentials.FromWebhook(Array.Empty<string?>(), Array.Empty<string?>()).IsMissing);
    }

    [Fact]
    public void An_mqtt_password_is_the_token_and_a_malformed_one_is_refused_before_any_lookup()
    {
        Assert.True(EdgeCredentials.FromMqttPassword(Token).IsWellFormed);
        Assert.True(EdgeCredentials.FromMqttPassword(null).IsMissing);
        var typo = EdgeCredentials.FromMqttPassword(Token[..^1] + (Token[^1] == 'a' ? 'b' : 'a'));
        Assert.False(typo.IsWellFormed);
        Assert.Equal(TokenFormat.BadChecksum, typo.Format);
    }

    [Fact]
    public void No_input_makes_the_parser_throw()
    {
        var headerish = Gen.OneOf(
            Gen.String,
            Gen.String.Select(s => "Bearer " + s),
            Gen.String.Select(s => "bEaReR\t" + s),
            Gen.Char.Array[0, 80].Select(c => "Bearer " + Token[..Math.Min(Token.Length, c.Length)] + new string(c)));
        headerish.Sample(text =>
        {
            var bearer = EdgeCredentials.FromAuthorization(text.AsSpan());
            _ = bearer.Format;
            _ = bearer.Prefix();
            _ = bearer.IsWellFormed ? bearer.Hash() : default;
            var mqtt = EdgeCredentials.FromMqttPassword(text);
            _ = FailureScope.MqttClient(text, mqtt);
            _ = EdgeCredentials.FromWebhook(new[] { text }, new[] { text }).Format;
            Assert.True(bearer.Prefix().Length <= PresentedCredential.PrefixLength);
            Assert.True(FailureScope.Device(text).Value.Length <= FailureScope.MaxValueLength);
        });
    }
}
