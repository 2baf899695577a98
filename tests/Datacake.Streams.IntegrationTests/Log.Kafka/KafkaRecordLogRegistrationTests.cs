using Datacake.Streams.Log.Kafka;
using Datacake.Streams.RecordLog;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.IntegrationTests.Log.Kafka;

/// <summary>A host binds the options from configuration and resolves a working Kafka log.</summary>
[Collection(KafkaMockCluster.Collection)]
public sealed class KafkaRecordLogRegistrationTests(KafkaMockCluster cluster)
{
    [Fact]
    public async Task Options_bound_from_configuration_give_a_log_that_reaches_the_cluster()
    {
        await using var provider = Services(new()
        {
            ["RecordLog:Kafka:BootstrapServers"] = cluster.BootstrapServers,
            ["RecordLog:Kafka:Linger"] = "00:00:00.002",
            ["RecordLog:Kafka:Config:socket.keepalive.enable"] = "true",
        });

        var options = provider.GetRequiredService<IOptions<KafkaRecordLogOptions>>().Value;
        Assert.Equal(TimeSpan.FromMilliseconds(2), options.Linger);
        Assert.Equal("true", options.Config["socket.keepalive.enable"]);

        var log = provider.GetRequiredService<IRecordLog>();
        Assert.IsType<KafkaRecordLog>(log);
        Assert.True(await log.IsReachableAsync());
    }

    [Fact]
    public async Task Invalid_options_stop_the_host_at_start()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["RecordLog:Kafka:BootstrapServers"] = cluster.BootstrapServers,
            ["RecordLog:Kafka:Config:enable.idempotence"] = "false",
        });
        builder.Services.AddKafkaRecordLog();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("enable.idempotence", error.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Services(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddKafkaRecordLog();
        return services.BuildServiceProvider();
    }
}
