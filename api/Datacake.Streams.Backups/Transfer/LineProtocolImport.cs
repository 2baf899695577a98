using System.Buffers;
using System.Globalization;
using System.IO.Compression;
using System.IO.Pipelines;
using System.Text;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.Querying;

namespace Datacake.Streams.Backups.Transfer;

/// <summary>What an import wrote.</summary>
/// <param name="Complete">The input ended with the export's <c># END</c> summary: nothing was cut off.</param>
/// <param name="ExpectedPoints">Points the summary announced, when present.</param>
public sealed record ImportResult(long Points, IReadOnlyDictionary<string, long> PointsByPolicy, bool Complete, long? ExpectedPoints);

/// <summary>
/// Writes an export (line protocol with <c># CONTEXT-RETENTION-POLICY:</c> sections) into a database of the target
/// client, creating the database and each policy it meets (infinite duration: the points are kept as they came).
/// Streams: one batch in the making and one on the wire, whatever the size of the input.
/// </summary>
public sealed class LineProtocolImport(InfluxClient target)
{
    /// <summary>5,000 lines is InfluxData's recommended batch; 4 MiB keeps one far below influxd's 25 MB body limit.</summary>
    public const int BatchLines = 5_000;

    public const int BatchBytes = 4 * 1024 * 1024;

    private const string PolicyPrefix = "# CONTEXT-RETENTION-POLICY:";
    private const string EndPrefix = "# END points=";

    /// <summary>True when the stream starts with gzip's magic bytes; a seekable stream is put back where it was.</summary>
    public static bool IsGzip(Stream seekable)
    {
        long position = seekable.Position;
        Span<byte> magic = stackalloc byte[2];
        int read = seekable.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        seekable.Position = position;
        return read == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    }

    public async Task<ImportResult> RunAsync(Stream input, bool gzip, CancellationToken cancellationToken)
    {
        string database = target.Options.Database;
        await target.ExecuteAsync($"CREATE DATABASE {InfluxQl.QuoteIdentifier(database)}", database, cancellationToken).ConfigureAwait(false);
        var policies = await ExistingPoliciesAsync(database, cancellationToken).ConfigureAwait(false);
        var byPolicy = new Dictionary<string, long>(StringComparer.Ordinal);
        Stream source = gzip ? new GZipStream(input, CompressionMode.Decompress, leaveOpen: true) : input;
        PipeReader reader = PipeReader.Create(source, new StreamPipeReaderOptions(bufferSize: 256 * 1024, leaveOpen: true));
        var filling = new ArrayBufferWriter<byte>(BatchBytes + (64 * 1024));
        var sending = new ArrayBufferWriter<byte>(BatchBytes + (64 * 1024));
        Task pending = Task.CompletedTask;
        string? policy = null;
        int lines = 0;
        long? expected = null;
        bool complete = false;

        async Task SendAsync()
        {
            await pending.ConfigureAwait(false);
            if (filling.WrittenCount == 0)
            {
                return;
            }

            (filling, sending) = (sending, filling);
            filling.ResetWrittenCount();
            byPolicy[policy ?? string.Empty] = byPolicy.GetValueOrDefault(policy ?? string.Empty) + lines;
            lines = 0;
            pending = target.WriteAsync(sending.WrittenMemory, policy, cancellationToken);
        }

        try
        {
            while (true)
            {
                ReadResult read = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = read.Buffer;
                while (TryTakeLine(ref buffer, read.IsCompleted, out ReadOnlySequence<byte> line))
                {
                    if (line.IsEmpty)
                    {
                        continue;
                    }

                    if (line.FirstSpan[0] == (byte)'#')
                    {
                        string comment = Encoding.UTF8.GetString(line).TrimEnd('\r');
                        if (comment.StartsWith(PolicyPrefix, StringComparison.Ordinal))
                        {
                            await SendAsync().ConfigureAwait(false);
                            policy = comment[PolicyPrefix.Length..].Trim();
                            if (policies.Add(policy))
                            {
                                await target.ExecuteAsync($"CREATE RETENTION POLICY {InfluxQl.QuoteIdentifier(policy)} ON {InfluxQl.QuoteIdentifier(database)} DURATION INF REPLICATION 1", database, cancellationToken).ConfigureAwait(false);
                            }
                        }
                        else if (comment.StartsWith(EndPrefix, StringComparison.Ordinal))
                        {
                            complete = true;
                            string count = comment[EndPrefix.Length..].Split(' ', 2)[0];
                            expected = long.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : null;
                        }

                        continue;
                    }

                    complete = false;
                    Span<byte> span = filling.GetSpan(checked((int)line.Length) + 1);
                    line.CopyTo(span);
                    span[(int)line.Length] = (byte)'\n';
                    filling.Advance((int)line.Length + 1);
                    lines++;
                    if (lines >= BatchLines || filling.WrittenCount >= BatchBytes)
                    {
                        await SendAsync().ConfigureAwait(false);
                    }
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted)
                {
                    break;
                }
            }

            await SendAsync().ConfigureAwait(false);
            await pending.ConfigureAwait(false);
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
            if (gzip)
            {
                await source.DisposeAsync().ConfigureAwait(false);
            }
        }

        byPolicy.Remove(string.Empty, out long unnamed);
        if (unnamed > 0)
        {
            byPolicy["(default)"] = unnamed;
        }

        return new ImportResult(byPolicy.Values.Sum(), byPolicy, complete, expected);
    }

    private static bool TryTakeLine(ref ReadOnlySequence<byte> buffer, bool final, out ReadOnlySequence<byte> line)
    {
        if (buffer.PositionOf((byte)'\n') is { } end)
        {
            line = buffer.Slice(0, end);
            buffer = buffer.Slice(buffer.GetPosition(1, end));
            return true;
        }

        if (final && !buffer.IsEmpty)
        {
            line = buffer;
            buffer = buffer.Slice(buffer.End);
            return true;
        }

        line = default;
        return false;
    }

    private async Task<HashSet<string>> ExistingPoliciesAsync(string database, CancellationToken cancellationToken)
    {
        InfluxQueryResult result = await target.QueryAsync($"SHOW RETENTION POLICIES ON {InfluxQl.QuoteIdentifier(database)}", database, cancellationToken).ConfigureAwait(false);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (InfluxSeries series in result.Statements[0].Series)
        {
            for (int row = 0; row < series.Values.Count; row++)
            {
                names.Add(series.GetString(row, "name") ?? string.Empty);
            }
        }

        return names;
    }
}
