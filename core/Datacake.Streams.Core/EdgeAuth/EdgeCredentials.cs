namespace Datacake.Streams.EdgeAuth;

/// <summary>
/// Where a credential sits in each edge protocol, parsed in one place: <c>Authorization: Bearer</c> (HTTP ingest, the
/// API, /v1/ops), <c>X-Webhook-Token</c> (or a bearer token) on webhooks, and the CONNECT password on MQTT. Strings in,
/// a <see cref="PresentedCredential"/> out; never throws, allocates nothing.
/// </summary>
/// <remarks>A header sent more than once is treated as absent: which copy a proxy kept is not something to guess.</remarks>
public static class EdgeCredentials
{
    public const string BearerScheme = "Bearer";
    public const string WebhookTokenHeader = "X-Webhook-Token";

    /// <summary>The token of one <c>Authorization</c> value: scheme <c>Bearer</c> (any case, RFC 9110 §11.1), then spaces.</summary>
    public static PresentedCredential FromAuthorization(ReadOnlySpan<char> header)
    {
        if (header.Length <= BearerScheme.Length
            || !header.StartsWith(BearerScheme, StringComparison.OrdinalIgnoreCase)
            || header[BearerScheme.Length] is not (' ' or '\t'))
        {
            return default;
        }

        return new PresentedCredential(header[BearerScheme.Length..].Trim());
    }

    /// <summary>The bearer token when the header was sent exactly once (generic so that <c>StringValues</c> is not boxed).</summary>
    public static PresentedCredential FromAuthorization<TValues>(TValues values)
        where TValues : IReadOnlyList<string?> =>
        Single(values) is { } header ? FromAuthorization(header.AsSpan()) : default;

    /// <summary>A webhook's token: <c>X-Webhook-Token</c> when sent, else a bearer token (senders that only do the latter).</summary>
    public static PresentedCredential FromWebhook<TValues>(TValues webhookToken, TValues authorization)
        where TValues : IReadOnlyList<string?>
    {
        if (Single(webhookToken) is { } value && value.AsSpan().Trim() is { IsEmpty: false } token)
        {
            return new PresentedCredential(token);
        }

        return FromAuthorization(authorization);
    }

    /// <summary>
    /// InfluxDB 1.x clients (the <c>influx</c> CLI, Grafana's InfluxDB datasource, client libraries): the token is the
    /// password. <c>Authorization: Token</c>, <c>Bearer</c> or <c>Basic</c> (user:password, the user name is free) when
    /// sent, else the <c>p</c> query parameter. A header of another scheme presents nothing (as influxd, it is not
    /// combined with <c>p</c>).
    /// </summary>
    public static PresentedCredential FromInfluxV1<TValues>(TValues authorization, TValues password)
        where TValues : IReadOnlyList<string?>
    {
        if (Single(authorization) is not { } header)
        {
            return Single(password) is { } p ? new PresentedCredential(p.AsSpan().Trim()) : default;
        }

        ReadOnlySpan<char> value = header.AsSpan().Trim();
        if (AfterScheme(value, "Token") is { IsEmpty: false } token)
        {
            return new PresentedCredential(token);
        }

        if (AfterScheme(value, BearerScheme) is { IsEmpty: false } bearer)
        {
            return new PresentedCredential(bearer);
        }

        if (AfterScheme(value, "Basic") is { IsEmpty: false } basic)
        {
            // 3 bytes per 4 base64 characters; user:password of a 60-character token fits the stack easily.
            Span<byte> bytes = basic.Length <= 1024 ? stackalloc byte[basic.Length] : new byte[basic.Length];
            if (!Convert.TryFromBase64Chars(basic, bytes, out int written))
            {
                return default;
            }

            string decoded = System.Text.Encoding.UTF8.GetString(bytes[..written]);
            int colon = decoded.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 ? default : new PresentedCredential(decoded.AsSpan(colon + 1).Trim());
        }

        return default;
    }

    private static ReadOnlySpan<char> AfterScheme(ReadOnlySpan<char> header, string scheme) =>
        header.Length > scheme.Length && header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) && header[scheme.Length] is ' ' or '\t'
            ? header[scheme.Length..].Trim()
            : default;

    /// <summary>The MQTT CONNECT password; the user name is free (devices put anything there) and is not a credential.</summary>
    public static PresentedCredential FromMqttPassword(string? password) =>
        password is null ? default : new PresentedCredential(password.AsSpan().Trim());

    private static string? Single<TValues>(TValues values)
        where TValues : IReadOnlyList<string?> =>
        values is { Count: 1 } && values[0] is { Length: > 0 } value ? value : null;
}
