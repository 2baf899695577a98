using System.Globalization;
using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.Ingest.Bridge;
using Datacake.Streams.RecordLog;
using Datacake.Streams.Records;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.IntegrationTests.Ingest.Bridge;

/// <summary><c>services.AddMqttBridges()</c>: bridges from <c>Ingest:Bridges</c>, validated at start, run by the host.</summary>
public sealed class BridgeHostingTests
{
    [Fact]
    public async Task A_configured_bridge_runs_with_the_host_and_stops_with_it()
    {
        await using var harness = await BridgeHarness.CreateAsync();
        using var host = Build(harness, Configuration(harness, harness.Token.Secret));
        harness.ClientIds.Add("dcs-bridge-hosted-" + harness.Unique);

        await host.StartAsync();
        var service = host.Services.GetRequiredService<MqttBridgeService>();
        var bridge = Assert.Single(service.Bridges);
        await BridgeHarness.Until(() => bridge.State == BridgeState.Subscribed, $"subscribed (state {bridge.State})");

        await harness.PublishAsync($"{harness.Prefix}/SN-2/up", """{"humidity":40}""");
        var (record, _) = (await harness.ReadRawAsync(1))[0];
        Assert.Equal(harness.Other, record.DeviceId);
        Assert.Equal(SourceKind.MqttBridge, record.Source);
        Assert.Equal("""{"humidity":40}""", Encoding.UTF8.GetString(record.Payload.Span));

        await host.StopAsync();
        Assert.Equal(BridgeState.Stopped, bridge.State);
        Assert.Empty(service.Bridges);
    }

    [Fact]
    public async Task An_invalid_bridge_configuration_stops_the_host_at_start_without_showing_the_token()
    {
        await using var harness = await BridgeHarness.CreateAsync();
        var typo = harness.Token.Secret[..^1] + (harness.Token.Secret[^1] == 'a' ? 'b' : 'a');
        using var host = Build(harness, Configuration(harness, typo));

        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("Token must be a workspace or device token", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(typo, refused.Message, StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> Configuration(BridgeHarness harness, string token) => new()
    {
        ["Ingest:Bridges:0:Name"] = "hosted",
        ["Ingest:Bridges:0:Host"] = harness.Endpoints.MqttHost,
        ["Ingest:Bridges:0:Port"] = harness.Endpoints.MqttTlsPort.ToString(CultureInfo.InvariantCulture),
        ["Ingest:Bridges:0:CaFile"] = harness.Endpoints.MqttCaFile,
        ["Ingest:Bridges:0:Username"] = harness.Endpoints.MqttUser,
        ["Ingest:Bridges:0:Password"] = harness.Endpoints.MqttPassword,
        ["Ingest:Bridges:0:ClientId"] = "dcs-bridge-hosted-" + harness.Unique,
        ["Ingest:Bridges:0:Mapping:Topic"] = harness.Prefix + "/{serial}/up",
        ["Ingest:Bridges:0:Token"] = token,
        ["Ingest:Bridges:0:SessionExpiry"] = "00:02:00",
    };

    private static IHost Build(BridgeHarness harness, Dictionary<string, string?> settings)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);

        // What AddStreamsCore provides in the real host.
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IRecordLog>(harness.Log);
        builder.Services.AddSingleton(harness.Signer);
        builder.Services.AddSingleton<RegistryView>(harness.Registry);

        builder.Services.AddMqttBridges();
        return builder.Build();
    }
}
