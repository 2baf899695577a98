using System.Diagnostics;
using System.Diagnostics.Metrics;
using Datacake.Streams.Payloads.DeadLetters;

namespace Datacake.Streams.Processing.Pipeline;

/// <summary>Counters of the pipeline (meter <c>Datacake.Streams.Processing</c>); a Prometheus exporter picks them up by name.</summary>
public sealed class ProcessingMetrics : IDisposable
{
    public const string MeterName = "Datacake.Streams.Processing";

    private readonly Meter _meter;
    private readonly Counter<long> _deadLettered;
    private readonly Counter<long> _writeErrors;
    private readonly Histogram<double> _writeLatency;

    public ProcessingMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        // The per-record counts are plain interlocked totals read at collection time: no listener callback on the
        // consumer thread per record, and nothing counted before an exporter started listening is lost.
        _meter.CreateObservableCounter("records.read", () => RecordsIn, description: "Records read from dcs.raw");
        _meter.CreateObservableCounter("records.accepted", () => Accepted, description: "Records whose points were written");
        _meter.CreateObservableCounter("points.written", () => Interlocked.Read(ref _pointsWrittenTotal), description: "Points InfluxDB accepted");
        _meter.CreateObservableCounter("records.duplicates", () => Duplicates, description: "Duplicate records dropped");
        _deadLettered = _meter.CreateCounter<long>("records.deadlettered", description: "Records sent to dcs.deadletter, by reason");
        _writeErrors = _meter.CreateCounter<long>("write.errors", description: "Failed InfluxDB writes (retried)");
        _meter.CreateObservableCounter("pipeline.restarts", () => Restarts, description: "Times the pipeline failed and was started again");
        _writeLatency = _meter.CreateHistogram<double>("write.duration", unit: "ms", description: "InfluxDB batch write latency");
    }

    public long RecordsIn => Interlocked.Read(ref _recordsInTotal);

    public long Accepted => Interlocked.Read(ref _acceptedTotal);

    public long Duplicates => Interlocked.Read(ref _duplicatesTotal);

    public long DeadLettered => Interlocked.Read(ref _deadLetteredTotal);

    public long WriteErrors => Interlocked.Read(ref _writeErrorsTotal);

    /// <summary>Times the pipeline failed unexpectedly and was started again by <c>PipelineSupervisor</c>.</summary>
    public long Restarts => Interlocked.Read(ref _restartsTotal);

    private long _recordsInTotal;
    private long _acceptedTotal;
    private long _pointsWrittenTotal;
    private long _duplicatesTotal;
    private long _deadLetteredTotal;
    private long _writeErrorsTotal;
    private long _restartsTotal;

    internal void RecordsRead(int count)
    {
        Interlocked.Add(ref _recordsInTotal, count);
    }

    internal void Written(int records, int points, TimeSpan elapsed)
    {
        _writeLatency.Record(elapsed.TotalMilliseconds);
        Interlocked.Add(ref _acceptedTotal, records);
        Interlocked.Add(ref _pointsWrittenTotal, points);
    }

    internal void DuplicatesDropped(int count)
    {
        if (count > 0)
        {
            Interlocked.Add(ref _duplicatesTotal, count);
        }
    }

    internal void DeadLetter(RejectReason reason)
    {
        _deadLettered.Add(1, new KeyValuePair<string, object?>("reason", reason.Code()));
        Interlocked.Increment(ref _deadLetteredTotal);
    }

    internal void WriteError(string kind)
    {
        _writeErrors.Add(1, new TagList { { "kind", kind } });
        Interlocked.Increment(ref _writeErrorsTotal);
    }

    internal void Restarted() => Interlocked.Increment(ref _restartsTotal);

    public void Dispose() => _meter.Dispose();
}
