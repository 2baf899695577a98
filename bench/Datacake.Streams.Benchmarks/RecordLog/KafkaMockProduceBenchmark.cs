using BenchmarkDotNet.Attributes;
using Confluent.Kafka;
using Datacake.Streams.Log.Kafka;
using Datacake.Streams.RecordLog;

namespace Datacake.Streams.Benchmarks.RecordLog;

/// <summary>
/// Appends of 200-byte records to librdkafka's mock cluster (1 broker) with many appends in flight, through
/// <see cref="KafkaRecordLog"/> (acks=all, idempotent, 5 ms linger) and, for comparison, through Confluent.Kafka's
/// own ProduceAsync with the same producer settings. One operation = one acknowledged record.
/// </summary>
[MemoryDiagnoser]
public class KafkaMockProduceBenchmark
{
    private const int RecordsPerInvocation = 50_000;
    private const int Devices = 1_024;

    private KafkaMockBrokers _brokers = null!;
    private KafkaRecordLog _log = null!;
    private IProducer<byte[], byte[]> _confluent = null!;
    private byte[][] _keys = null!;
    private byte[] _value = null!;
    private string _topic = "";
    private ValueTask<LogPosition>[] _appends = [];
    private Task<DeliveryResult<byte[], byte[]>>[] _produces = [];

    /// <summary>Appends awaited as a sliding window: at most this many unacknowledged at any time.</summary>
    [Params(1_000, 10_000)]
    public int InFlight { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _brokers = new KafkaMockBrokers(brokers: 1);
        var options = new KafkaRecordLogOptions { BootstrapServers = _brokers.BootstrapServers, ClientId = "dcs-bench" };
        _log = new KafkaRecordLog(options);
        _topic = "bench." + Guid.NewGuid().ToString("N")[..12];
        _log.PartitionCount(_topic);

        var config = new ProducerConfig
        {
            BootstrapServers = _brokers.BootstrapServers,
            Acks = Acks.All,
            EnableIdempotence = true,
            Partitioner = Partitioner.Murmur2Random,
            LingerMs = options.Linger.TotalMilliseconds,
        };
        _confluent = new ProducerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).Build();

        // Device ids as the adapters key them: "dev_" + 26 Crockford base32 characters.
        var random = new Random(42);
        _keys = [.. Enumerable.Range(0, Devices).Select(_ => System.Text.Encoding.ASCII.GetBytes("dev_" + RandomBase32(random, 26)))];
        _value = new byte[200];
        random.NextBytes(_value);
        _appends = new ValueTask<LogPosition>[InFlight];
        _produces = new Task<DeliveryResult<byte[], byte[]>>[InFlight];
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        _confluent.Flush(TimeSpan.FromSeconds(10));
        _confluent.Dispose();
        await _log.DisposeAsync();
        _brokers.Dispose();
    }

    [Benchmark(OperationsPerInvoke = RecordsPerInvocation)]
    public async Task<long> RecordLogAppend()
    {
        var window = _appends;
        long offsets = 0;
        for (var i = 0; i < RecordsPerInvocation; i++)
        {
            var slot = i % InFlight;
            if (i >= InFlight)
            {
                offsets += (await window[slot]).Offset;
            }

            window[slot] = _log.AppendAsync(_topic, _keys[i % Devices], _value);
        }

        for (var i = Math.Max(0, RecordsPerInvocation - InFlight); i < RecordsPerInvocation; i++)
        {
            offsets += (await window[i % InFlight]).Offset;
        }

        return offsets;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = RecordsPerInvocation)]
    public async Task<long> ConfluentProduceAsync()
    {
        var window = _produces;
        long offsets = 0;
        for (var i = 0; i < RecordsPerInvocation; i++)
        {
            var slot = i % InFlight;
            if (i >= InFlight)
            {
                offsets += (await window[slot]).Offset.Value;
            }

            window[slot] = _confluent.ProduceAsync(_topic, new Message<byte[], byte[]> { Key = _keys[i % Devices], Value = _value });
        }

        for (var i = Math.Max(0, RecordsPerInvocation - InFlight); i < RecordsPerInvocation; i++)
        {
            offsets += (await window[i % InFlight]).Offset.Value;
        }

        return offsets;
    }

    private static string RandomBase32(Random random, int length)
    {
        const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
        return string.Create(length, random, (span, r) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = Alphabet[r.Next(Alphabet.Length)];
            }
        });
    }
}
