using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Datacake.Streams.Benchmarks.Processing;

/// <summary>
/// The job of the pipeline throughput runs and a "records/s" column (operations are records, OperationsPerInvoke, so
/// it is 1 s over the mean). In process: building the generated project out of process hit BenchmarkDotNet's
/// 2-minute build timeout on the shared machine. One invocation is a whole run over the log: no unrolling, no pilot.
/// Three warm-up runs and seven measured ones: with one warm-up (session 4, idle machine) the first measured run still
/// took 8.1 µs per record against 2.7–2.9 µs for the next two, tier-up of the 250k-record run not yet done, and the
/// mean of three was that one run's.
/// </summary>
public sealed class RecordsPerSecondConfig : ManualConfig
{
    public RecordsPerSecondConfig()
    {
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithStrategy(RunStrategy.Monitoring)
            .WithLaunchCount(1)
            .WithWarmupCount(3)
            .WithIterationCount(7)
            .WithInvocationCount(1)
            .WithUnrollFactor(1));
        AddColumn(new RecordsPerSecondColumn());
    }

    private sealed class RecordsPerSecondColumn : IColumn
    {
        public string Id => nameof(RecordsPerSecondColumn);

        public string ColumnName => "records/s";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "Records per second: 1 s / mean time per record";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var statistics = summary[benchmarkCase]?.ResultStatistics;
            return statistics is null || statistics.Mean <= 0 ? "-" : (1e9 / statistics.Mean).ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
        }

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public bool IsAvailable(Summary summary) => true;
    }
}
