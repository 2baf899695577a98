using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.LineProtocol;

namespace Datacake.Streams.Influx.Writing;

/// <summary>
/// Accumulates points in a pooled <see cref="InfluxPointBatch"/> and writes it when it reaches
/// <see cref="InfluxOptions.BatchSize"/>. Not thread-safe: one writer per producer.
/// </summary>
/// <example>
/// <code>
/// var point = writer.BeginPoint();
/// point.Measurement("m"); point.Tag("device", id); point.Field("t", 21.5); point.Timestamp(ns);
/// await writer.FlushIfFullAsync(ct);
/// </code>
/// </example>
/// <remarks>
/// A failed flush keeps the batch pending (the exception says what the server kept): the caller either retries
/// <see cref="FlushAsync"/>, which is safe because points with explicit timestamps overwrite themselves, or
/// drops the batch with <see cref="DiscardPending"/>.
/// </remarks>
public sealed class InfluxWriter : IAsyncDisposable, IDisposable
{
    private readonly InfluxClient _client;
    private readonly string? _retentionPolicy;
    private readonly InfluxPointBatch _batch = new();

    public InfluxWriter(InfluxClient client, string? retentionPolicy = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _retentionPolicy = retentionPolicy;
    }

    public int PendingPoints => _batch.PointCount;

    public bool IsFull => _batch.PointCount >= _client.Options.BatchSize;

    /// <summary>A writer for the next point; a point left unfinished by an exception is dropped from the batch.</summary>
    public LineProtocolWriter BeginPoint() => _batch.BeginPoint();

    /// <summary>Writes the batch if it holds <see cref="InfluxOptions.BatchSize"/> points; true when it wrote.</summary>
    public async ValueTask<bool> FlushIfFullAsync(CancellationToken cancellationToken = default)
    {
        if (!IsFull)
        {
            return false;
        }

        await FlushAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Writes the pending points; on success the batch is cleared and its buffer reused.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_batch.PointCount == 0)
        {
            return;
        }

        await _client.WriteAsync(_batch.Written, _retentionPolicy, cancellationToken).ConfigureAwait(false);
        _batch.Clear();
    }

    public void DiscardPending() => _batch.Clear();

    /// <summary>Flushes what is pending, then frees the buffer.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await FlushAsync().ConfigureAwait(false);
        }
        finally
        {
            _batch.Dispose();
        }
    }

    /// <summary>Frees the buffer without writing what is pending.</summary>
    public void Dispose() => _batch.Dispose();
}
