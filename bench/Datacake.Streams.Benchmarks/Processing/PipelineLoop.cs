using System.Diagnostics;
using System.Globalization;

namespace Datacake.Streams.Benchmarks.Processing;

/// <summary>
/// <c>pipeline-loop [runs]</c>: the <see cref="PipelineThroughputBenchmark.WithoutInfluxDb"/> run repeated in a plain
/// loop, one line per run (records/s, bytes allocated per record, GC counts). For profilers that attach to a pid
/// (perf, dotnet-counters) and for quick side-by-side runs of two builds; BenchmarkDotNet stays the reference.
/// </summary>
public static class PipelineLoop
{
    public const string Command = "pipeline-loop";

    public static async Task RunAsync(string[] args)
    {
        var runs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
        var bench = new PipelineThroughputBenchmark();
        bench.Setup();
        try
        {
            Console.WriteLine(FormattableString.Invariant($"pid {Environment.ProcessId}: {runs} runs of {PipelineThroughputBenchmark.Records:N0} records"));
            for (var run = 0; run < runs; run++)
            {
                var gen0 = GC.CollectionCount(0);
                var gen1 = GC.CollectionCount(1);
                var gen2 = GC.CollectionCount(2);
                var allocated = GC.GetTotalAllocatedBytes(precise: true);
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var started = Stopwatch.GetTimestamp();
                await bench.WithoutInfluxDb();
                var elapsed = Stopwatch.GetElapsedTime(started);
                var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
                await bench.StopRunAsync();
                var records = (double)PipelineThroughputBenchmark.Records;
                Console.WriteLine(FormattableString.Invariant(
                    $"run {run}: {records / elapsed.TotalSeconds:N0} records/s, {cpuUsed.TotalMicroseconds / records:F2} CPU-µs/record, {(GC.GetTotalAllocatedBytes(precise: true) - allocated) / records:F0} B/record, GC {GC.CollectionCount(0) - gen0}/{GC.CollectionCount(1) - gen1}/{GC.CollectionCount(2) - gen2}"));
            }
        }
        finally
        {
            bench.Cleanup();
        }
    }
}
