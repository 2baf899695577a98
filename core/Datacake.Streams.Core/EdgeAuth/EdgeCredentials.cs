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
    public const string InfluxTokenScheme = "Token";
    public const string BasicScheme = "Basic";

    /// <summary>Characters a caller lends <see cref="FromInflux{TValues}"/> for a Basic credential: a token is ~60, a user name rarely 100.</summary>
    public const int InfluxScratchLength = 512;

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
    /// An InfluxDB client's secret, where InfluxDB 1.x and 2.x look for it: <c>Authorization: Token &lt;t&gt;</c> (v2,
    /// and v1 since 1.8), <c>Authorization: Bearer &lt;t&gt;</c>, <c>Authorization: Basic</c> whose password is the token
    /// (the influx CLI, Telegraf's v1 output), else the <c>p</c> query parameter. The user name is free (clients insist on
    /// one) and is not a credential. A Basic value is decoded into <paramref name="scratch"/>
    /// (<see cref="InfluxScratchLength"/> characters), which the result then views.
    /// </summary>
    public static PresentedCredential FromInflux<TValues>(TValues authorization, string? passwordParameter, Span<char> scratch)
        where TValues : IReadOnlyList<string?>
    {
        if (Single(authorization) is { } header)
        {
            var value = header.AsSpan();
            if (HasScheme(value, InfluxTokenScheme) || HasScheme(value, BearerScheme))
            {
                return new PresentedCredential(value[(value.IndexOfAny(' ', '\t') + 1)..].Trim());
            }

            return HasScheme(value, BasicScheme) ? FromBasic(value[(BasicScheme.Length + 1)..].Trim(), scratch) : default;
        }

        return passwordParameter is null ? default : new PresentedCredential(passwordParameter.AsSpan().Trim());
    }

    private static bool HasScheme(ReadOnlySpan<char> header, string scheme) =>
        header.Length > scheme.Length && header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) && header[scheme.Length] is ' ' or '\t';

    private static PresentedCredential FromBasic(ReadOnlySpan<char> base64, Span<char> scratch)
    {
        Span<byte> bytes = stackalloc byte[InfluxScratchLength];
        if (base64.Length > InfluxScratchLength * 4 / 3 || !Convert.TryFromBase64Chars(base64, bytes, out var length))
        {
            return default;
        }

        var colon = bytes[..length].IndexOf((byte)':');
        if (colon < 0 || System.Text.Encoding.UTF8.GetCharCount(bytes[(colon + 1)..length]) > scratch.Length)
        {
            return default;
        }

        var chars = System.Text.Encoding.UTF8.GetChars(bytes[(colon + 1)..length], scratch);
        return new PresentedCredential(scratch[..chars].Trim());
    }

    /// <summary>The MQTT CONNECT password; the user name is free (devices put anything there) and is not a credential.</summary>
    public static PresentedCredential FromMqttPassword(string? password) =>
        password is null ? default : new PresentedCredential(password.AsSpan().Trim());

    private static string? Single<TValues>(TValues values)
        where TValues : IReadOnlyList<string?> =>
        values is { Count: 1 } && values[0] is { Length: > 0 } value ? value : null;
}
