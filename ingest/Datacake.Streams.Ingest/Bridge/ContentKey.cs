using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Datacake.Streams.Ingest.Bridge;

/// <summary>
/// The message id of a bridged record: SHA-256 over topic and payload, so that the copy a broker redelivers after a
/// reconnect (MQTT has no message id that survives one: packet ids are per connection) carries the same id as the
/// first and the processors' deduplication drops it.
/// </summary>
/// <remarks>
/// The trade-off: two byte-identical messages on one topic within the dedup window are one message. A device whose
/// payload carries a timestamp or counter never meets it; one that repeats identical payloads on purpose turns
/// <see cref="BridgeDefinition.Deduplicate"/> off. 128 of the 256 bits are kept: a collision among 2^40 messages of
/// one device has odds of about 2^-49. Not thread-safe: one per connection (MQTTnet hands messages over one at a time).
/// </remarks>
public sealed class ContentKey : IDisposable
{
    public const string Prefix = "mqtt-sha256:";
    private const int KeptBytes = 16;

    // MQTT forbids U+0000 in topics (MQTT 5 section 1.5.4): a zero byte cannot occur in the topic, so it separates.
    private static readonly byte[] _separator = [0];

    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public string Of(string topic, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(topic);
        var maxBytes = Encoding.UTF8.GetMaxByteCount(topic.Length);
        var rented = ArrayPool<byte>.Shared.Rent(maxBytes);
        try
        {
            var length = Encoding.UTF8.GetBytes(topic, rented);
            _hash.AppendData(rented, 0, length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        _hash.AppendData(_separator);
        _hash.AppendData(payload);
        Span<byte> digest = stackalloc byte[32];
        _hash.GetHashAndReset(digest);
        return string.Concat(Prefix, Convert.ToHexStringLower(digest[..KeptBytes]));
    }

    public void Dispose() => _hash.Dispose();
}
