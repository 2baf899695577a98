using BenchmarkDotNet.Running;
using Datacake.Streams.Benchmarks.Processing;

if (args is [PipelineLoop.Command, ..])
{
    await PipelineLoop.RunAsync(args);
    return;
}

if (args is [StageCosts.Command, ..])
{
    StageCosts.Run(args);
    return;
}

// The API's own Program is referenced too (Queries benchmarks host it): name this assembly by another type.
BenchmarkSwitcher.FromAssembly(typeof(Datacake.Streams.Benchmarks.Queries.BenchServices).Assembly).Run(args);
