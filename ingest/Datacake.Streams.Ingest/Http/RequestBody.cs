using System.Buffers;
using System.IO.Pipelines;

namespace Datacake.Streams.Ingest.Http;

/// <summary>How ingest endpoints take a request body: whole, into one pooled array, never past a limit.</summary>
internal static class RequestBody
{
    /// <summary>
    /// Copies the body into one pooled array, consuming as it goes (so Kestrel's 1 MiB request buffer never fills);
    /// a null array means the body passed <paramref name="limit"/>.
    /// </summary>
    public static async ValueTask<(byte[]? Array, int Length)> ReadAsync(PipeReader reader, int limit, CancellationToken cancellationToken)
    {
        var array = ArrayPool<byte>.Shared.Rent(4096);
        var length = 0;
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = read.Buffer;
                if (length + buffer.Length > limit)
                {
                    reader.AdvanceTo(buffer.End);
                    ArrayPool<byte>.Shared.Return(array);
                    return (null, 0);
                }

                if (length + buffer.Length > array.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(limit, Math.Max(array.Length * 2L, length + buffer.Length)));
                    array.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(array);
                    array = larger;
                }

                buffer.CopyTo(array.AsSpan(length));
                length += (int)buffer.Length;
                reader.AdvanceTo(buffer.End);
                if (read.IsCompleted)
                {
                    return (array, length);
                }
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(array);
            throw;
        }
    }
}
