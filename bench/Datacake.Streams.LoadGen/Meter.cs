using System.Diagnostics;

namespace Datacake.Streams.LoadGen;

/// <summary>Counts messages from many workers and prints a rate per second and the total.</summary>
internal sealed class Meter(string unit)
{
    private long _count;
    private long _errors;

    public void Add(long count) => Interlocked.Add(ref _count, count);

    public void Error() => Interlocked.Increment(ref _errors);

    public async Task ReportAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var last = 0L;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (clock.Elapsed < duration && await timer.WaitForNextTickAsync(cancellationToken))
            {
                var now = Interlocked.Read(ref _count);
                Console.WriteLine($"{clock.Elapsed.TotalSeconds,5:0}s {now - last,10:N0} {unit}/s  errors {Interlocked.Read(ref _errors)}");
                last = now;
            }
        }
        catch (OperationCanceledException)
        {
        }

        var total = Interlocked.Read(ref _count);
        Console.WriteLine($"total {total:N0} {unit} in {clock.Elapsed.TotalSeconds:0.0} s = {total / clock.Elapsed.TotalSeconds:N0} {unit}/s, errors {Interlocked.Read(ref _errors)}");
    }
}
