using System.Runtime.InteropServices;
using Confluent.Kafka;
using Datacake.Streams.RecordLog;

namespace Datacake.Streams.LoadGen.KafkaMock;

/// <summary>
/// <c>loadgen kafka-mock</c>: a local Kafka for benchmark processes. librdkafka's mock cluster lives as long as the
/// producer handle that started it, so this process holds one, creates dcs.raw with enough partitions, prints
/// <c>bootstrap=host:port</c> and runs until SIGTERM or SIGINT. Every node of a scaled-out run points at it.
/// </summary>
internal static class KafkaMockCommand
{
    public const string Usage = """

          loadgen kafka-mock [--partitions 32] [--rebalance-delay-ms 500]   prints bootstrap=HOST:PORT, runs until SIGTERM
        """;

    public static async Task<int> RunAsync(IReadOnlyDictionary<string, string> options)
    {
        // 32 partitions of dcs.raw: the mock keeps only ~5 MiB per partition and silently drops older data, so a
        // processor may lag at most ~160 MiB (≈1.5M points of ~100 B JSON) behind ingest before points are lost.
        var partitions = LoadCommand.Int(options, "partitions", 32);

        // The mock waits 3 s for more members before an empty group forms; 0.5 s still lets a second processor that
        // starts with the first join the same generation.
        var rebalanceDelay = LoadCommand.Int(options, "rebalance-delay-ms", 500);

        var config = new ProducerConfig();
        config.Set("test.mock.num.brokers", "1");
        using var holder = new ProducerBuilder<Null, Null>(config).SetLogHandler((_, _) => { }).Build();
        string bootstrap;
        using (var admin = new DependentAdminClientBuilder(holder.Handle).Build())
        {
            var brokers = admin.GetMetadata(TimeSpan.FromSeconds(10)).Brokers;
            if (brokers.Count == 0)
            {
                Console.Error.WriteLine("kafka-mock: the mock cluster started without brokers");
                return 1;
            }

            bootstrap = string.Join(',', brokers.Select(b => $"{b.Host}:{b.Port}"));
        }

        var cluster = MockClusterApi.Of(holder.Handle);
        cluster.CreateTopic(LogTopics.Raw, partitions);
        cluster.SetInitialRebalanceDelay(rebalanceDelay);

        using var stop = new CancellationTokenSource();
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        Console.WriteLine($"bootstrap={bootstrap}");
        Console.WriteLine($"partitions={partitions}");
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }

        return 0;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }
}
