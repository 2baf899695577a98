using Datacake.Streams.Log.Kafka;

namespace Datacake.Streams.UnitTests.Log.Kafka;

public sealed class KafkaRecordLogOptionsValidatorTests
{
    private readonly KafkaRecordLogOptionsValidator _validator = new();

    [Fact]
    public void The_defaults_are_valid()
    {
        Assert.True(_validator.Validate(null, new KafkaRecordLogOptions()).Succeeded);
    }

    [Theory]
    [InlineData("")]
    [InlineData("broker")]
    [InlineData("broker:0")]
    [InlineData("broker:99999")]
    [InlineData("a:9092,b")]
    public void Bootstrap_servers_must_be_host_port_pairs(string servers)
    {
        var result = _validator.Validate(null, new KafkaRecordLogOptions { BootstrapServers = servers });

        Assert.True(result.Failed);
        Assert.Contains("BootstrapServers", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Several_bootstrap_servers_are_accepted()
    {
        Assert.True(_validator.Validate(null, new KafkaRecordLogOptions { BootstrapServers = "k1:9092, k2:9093,[::1]:9094" }).Succeeded);
    }

    [Fact]
    public void Linger_must_be_shorter_than_the_delivery_timeout()
    {
        var result = _validator.Validate(null, new KafkaRecordLogOptions { Linger = TimeSpan.FromSeconds(5), DeliveryTimeout = TimeSpan.FromSeconds(5) });

        Assert.True(result.Failed);
        Assert.Contains("DeliveryTimeout", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(nameof(KafkaRecordLogOptions.SessionTimeout))]
    [InlineData(nameof(KafkaRecordLogOptions.MetadataTimeout))]
    [InlineData(nameof(KafkaRecordLogOptions.ReachabilityTimeout))]
    [InlineData(nameof(KafkaRecordLogOptions.FlushTimeout))]
    public void Timeouts_must_be_positive(string name)
    {
        var options = name switch
        {
            nameof(KafkaRecordLogOptions.SessionTimeout) => new KafkaRecordLogOptions { SessionTimeout = TimeSpan.Zero },
            nameof(KafkaRecordLogOptions.MetadataTimeout) => new KafkaRecordLogOptions { MetadataTimeout = TimeSpan.Zero },
            nameof(KafkaRecordLogOptions.ReachabilityTimeout) => new KafkaRecordLogOptions { ReachabilityTimeout = TimeSpan.FromSeconds(-1) },
            _ => new KafkaRecordLogOptions { FlushTimeout = TimeSpan.Zero },
        };

        var result = _validator.Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(name, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_failure_is_reported_at_once()
    {
        var options = new KafkaRecordLogOptions { BootstrapServers = "", ClientId = " ", Linger = TimeSpan.FromMilliseconds(-1) };

        var result = _validator.Validate(null, options);

        Assert.Equal(3, result.Failures!.Count());
    }

    [Fact]
    public void Extra_librdkafka_settings_need_a_name()
    {
        var options = new KafkaRecordLogOptions { Config = new() { [""] = "x", ["security.protocol"] = "ssl" } };

        var result = _validator.Validate(null, options);

        Assert.True(result.Failed);
        Assert.Single(result.Failures!);
    }

    [Theory]
    [InlineData("acks")]
    [InlineData("ENABLE.IDEMPOTENCE")]
    [InlineData("enable.auto.commit")]
    [InlineData(" enable.auto.offset.store")]
    [InlineData("group.id")]
    public void Extra_settings_cannot_undo_durability_or_commit_guarantees(string key)
    {
        var result = _validator.Validate(null, new KafkaRecordLogOptions { Config = new() { [key] = "1" } });

        Assert.True(result.Failed);
        Assert.Contains("cannot be overridden", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Extra_transport_settings_pass()
    {
        var options = new KafkaRecordLogOptions { Config = new() { ["security.protocol"] = "ssl", ["ssl.ca.location"] = "/etc/ca.pem" } };

        Assert.True(_validator.Validate(null, options).Succeeded);
    }
}
