using Datacake.Streams.Ids;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.Querying;
using Datacake.Streams.Storage;
using Microsoft.Extensions.Logging;

namespace Datacake.Streams.Processing.Fields;

/// <summary>
/// Loads the field names every device has stored into <see cref="DeviceFieldNames"/> once at start: one
/// <c>SHOW FIELD KEYS</c> over the device measurements of the values retention policy (100k devices of 10 names
/// are ~1M short rows, read once per start).
/// </summary>
public static partial class FieldNameSeed
{
    public static async Task RunAsync(
        InfluxClient influx,
        string retentionPolicy,
        DeviceFieldNames names,
        TimeProvider time,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        string text = $"SHOW FIELD KEYS FROM {InfluxQl.QuoteIdentifier(retentionPolicy)}.{StorageLayout.AllDevicesPattern}";
        for (var delay = TimeSpan.FromSeconds(1); !cancellationToken.IsCancellationRequested; delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks)))
        {
            try
            {
                InfluxQueryResult result = await influx.QueryAsync(text, cancellationToken: cancellationToken).ConfigureAwait(false);
                int seeded = 0;
                foreach (InfluxSeries series in result.Statements[0].Series)
                {
                    if (!DeviceId.TryParse(series.Name, out DeviceId device))
                    {
                        continue;
                    }

                    for (int row = 0; row < series.Values.Count; row++)
                    {
                        if (series.GetString(row, "fieldKey") is { } key)
                        {
                            names.Seed(device, key);
                            seeded++;
                        }
                    }
                }

                Seeded(logger, seeded, names.Devices);
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is InfluxException or HttpRequestException or TaskCanceledException)
            {
                // The database may not exist yet (a first start) or be down; the limit counts from what it has seen
                // until the seed arrives.
                SeedFailed(logger, delay, e.Message);
            }

            try
            {
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Field-name limit seeded with {Names} stored names of {Devices} devices")]
    private static partial void Seeded(ILogger logger, int names, int devices);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read stored field names (retry in {Delay}): {Error}")]
    private static partial void SeedFailed(ILogger logger, TimeSpan delay, string error);
}
