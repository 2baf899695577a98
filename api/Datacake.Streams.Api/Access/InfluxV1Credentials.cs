namespace Datacake.Streams.Api.Access;

/// <summary>
/// Endpoint metadata: the endpoint takes credentials as InfluxDB 1.x does (<c>u</c>/<c>p</c> query parameters, Basic
/// auth, <c>Authorization: Token</c> or <c>Bearer</c>; the token is the password), read by <see cref="CallerResolver"/>
/// through <see cref="EdgeAuth.EdgeCredentials.FromInflux{TValues}"/>.
/// </summary>
public sealed class InfluxV1Credentials
{
    public static readonly InfluxV1Credentials Instance = new();

    private InfluxV1Credentials()
    {
    }
}
