using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Datacake.Streams.Ingest.Webhooks;

/// <summary>Why a Standard Webhooks signature was accepted or refused.</summary>
public enum SignatureCheck
{
    Valid,

    /// <summary>One of <c>webhook-id</c>, <c>webhook-timestamp</c>, <c>webhook-signature</c> is absent or unreadable.</summary>
    Missing,

    /// <summary><c>webhook-timestamp</c> is further than the tolerance from now (replay of an old delivery).</summary>
    Stale,

    /// <summary>No <c>v1,</c> signature in the header matches.</summary>
    Mismatch,
}

/// <summary>
/// Standard Webhooks verification: HMAC-SHA256 with the webhook's secret over <c>webhook-id.webhook-timestamp.body</c>,
/// base64, in <c>webhook-signature</c> as space-separated <c>v1,&lt;sig&gt;</c> entries (several during a secret
/// rotation); the timestamp (Unix seconds) must be within the tolerance of now. Comparisons are constant time.
/// </summary>
public static class StandardWebhookSignature
{
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";

    // A webhook-id is a sender's message id (msg_… / a UUID); the bound keeps the record and the HMAC input small.
    private const int MaxIdLength = 256;
    private const int MaxSignatureHeaderLength = 4096;
    private const int SignatureBytes = 32;

    public static SignatureCheck Verify(
        ReadOnlySpan<byte> secret,
        string? webhookId,
        string? timestamp,
        string? signatures,
        ReadOnlySpan<byte> body,
        DateTimeOffset now,
        TimeSpan tolerance)
    {
        if (string.IsNullOrEmpty(webhookId) || webhookId.Length > MaxIdLength || string.IsNullOrEmpty(timestamp)
            || string.IsNullOrEmpty(signatures) || signatures.Length > MaxSignatureHeaderLength
            || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return SignatureCheck.Missing;
        }

        var nowSeconds = now.ToUnixTimeSeconds();
        if (Math.Abs((decimal)nowSeconds - seconds) > (decimal)tolerance.TotalSeconds)
        {
            return SignatureCheck.Stale;
        }

        Span<byte> expected = stackalloc byte[SignatureBytes];
        Compute(secret, webhookId, timestamp, body, expected);

        Span<byte> presented = stackalloc byte[SignatureBytes + 3];
        var matched = false;
        foreach (var range in signatures.AsSpan().Split(' '))
        {
            var entry = signatures.AsSpan()[range];
            if (!entry.StartsWith("v1,", StringComparison.Ordinal))
            {
                continue;
            }

            var encoded = entry[3..];
            if (Convert.TryFromBase64Chars(encoded, presented, out var written) && written == SignatureBytes)
            {
                // Keep looking after a match so the time taken does not depend on which entry matched.
                matched |= CryptographicOperations.FixedTimeEquals(presented[..SignatureBytes], expected);
            }
        }

        return matched ? SignatureCheck.Valid : SignatureCheck.Mismatch;
    }

    /// <summary>The signature a sender computes; also what tests and tools use to sign.</summary>
    public static void Compute(ReadOnlySpan<byte> secret, string webhookId, string timestamp, ReadOnlySpan<byte> body, Span<byte> destination)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, secret);
        Span<byte> small = stackalloc byte[MaxIdLength * 3];
        var idLength = Encoding.UTF8.GetBytes(webhookId.AsSpan(0, Math.Min(webhookId.Length, MaxIdLength)), small);
        hmac.AppendData(small[..idLength]);
        hmac.AppendData("."u8);
        var stampLength = Encoding.UTF8.GetBytes(timestamp.AsSpan(0, Math.Min(timestamp.Length, 32)), small);
        hmac.AppendData(small[..stampLength]);
        hmac.AppendData("."u8);
        hmac.AppendData(body);
        hmac.GetHashAndReset(destination);
    }

    /// <summary>The header value <c>v1,&lt;base64&gt;</c> for a message (senders, tests).</summary>
    public static string Sign(ReadOnlySpan<byte> secret, string webhookId, string timestamp, ReadOnlySpan<byte> body)
    {
        Span<byte> signature = stackalloc byte[SignatureBytes];
        Compute(secret, webhookId, timestamp, body, signature);
        return "v1," + Convert.ToBase64String(signature);
    }
}
