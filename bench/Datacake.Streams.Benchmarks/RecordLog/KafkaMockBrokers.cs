using Confluent.Kafka;

namespace Datacake.Streams.Benchmarks.RecordLog;

/// <summary>librdkafka's in-process mock cluster, alive while this holds the producer that started it.</summary>
internal sealed class KafkaMockBrokers : IDisposable
{
    private readonly IProducer<Null, Null> _holder;

    public KafkaMockBrokers(int brokers)
    {
        var config = new ProducerConfig();
        config.Set("test.mock.num.brokers", brokers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _holder = new ProducerBuilder<Null, Null>(config).SetLogHandler((_, _) => { }).Build();
        using var admin = new DependentAdminClientBuilder(_holder.Handle).Build();
        BootstrapServers = string.Join(',', admin.GetMetadata(TimeSpan.FromSeconds(10)).Brokers.Select(b => $"{b.Host}:{b.Port}"));
    }

    public string BootstrapServers { get; }

    public void Dispose() => _holder.Dispose();
}
