using Datacake.Streams.Access;
using Datacake.Streams.Ingest.Bridge;
using Microsoft.Extensions.Configuration;

namespace Datacake.Streams.UnitTests.Ingest.Bridge;

public class BridgeOptionsValidatorTests
{
    private static readonly string _token = AccessToken.New().Secret;

    private static BridgeDefinition Valid => new()
    {
        Name = "farm-broker",
        Host = "broker.example.com",
        Username = "bridge",
        Password = "broker-password",
        Mapping = new BridgeMapping { Topic = "sensors/{devEui}/up" },
        Token = _token,
    };

    [Fact]
    public void A_complete_definition_passes()
    {
        var result = Validate(Valid, Valid with { Name = "second", ClientId = "other" });
        Assert.True(result.Succeeded, result.FailureMessage);
        Assert.True(Validate().Succeeded);
    }

    public static TheoryData<BridgeDefinition, string> Broken => new()
    {
        { Valid with { Name = "Farm Broker" }, "Name must be 1-64 of [a-z0-9-]" },
        { Valid with { Host = "" }, "Host must be" },
        { Valid with { UseTls = false }, "UseTls=false is allowed only for a broker on a loopback address" },
        { Valid with { Port = 70000 }, "Port must be 1-65535" },
        { Valid with { CaFile = "/nonexistent/ca.pem" }, "CaFile: no file at /nonexistent/ca.pem" },
        { Valid with { Username = null }, "Password needs Username" },
        { Valid with { Token = "" }, "Token must be a workspace or device token" },
        { Valid with { Mapping = new BridgeMapping() }, "Mapping needs exactly one of Topic" },
        { Valid with { Mapping = new BridgeMapping { Topic = "a/{x}", JsonPointer = "/a" } }, "Mapping needs exactly one of Topic" },
        { Valid with { Mapping = new BridgeMapping { Topic = "a/b" } }, "Mapping:Topic: the template needs a placeholder" },
        { Valid with { Mapping = new BridgeMapping { JsonPointer = "dev_eui" }, Topics = ["a/#"] }, "Mapping:JsonPointer: a JSON pointer starts with '/'" },
        { Valid with { Mapping = new BridgeMapping { JsonPointer = "/dev_eui" } }, "Topics must list the filters" },
        { Valid with { Topics = ["a/#/b"] }, "Topics: topic filter 'a/#/b'" },
        { Valid with { Qos = 3 }, "Qos must be 0, 1 or 2" },
        { Valid with { MaxPayloadBytes = 1024 * 1024 }, "MaxPayloadBytes must be between 1 and 524288" },
        { Valid with { SessionExpiry = TimeSpan.Zero }, "SessionExpiry must be at least 1 minute" },
        { Valid with { ReconnectDelay = TimeSpan.FromSeconds(5), MaxReconnectDelay = TimeSpan.FromSeconds(1) }, "MaxReconnectDelay at least as long" },
        { Valid with { KeepAlive = TimeSpan.FromSeconds(1) }, "KeepAlive must be between" },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void Each_mistake_is_reported_with_the_bridge_and_key(BridgeDefinition definition, string expected)
    {
        var result = Validate(definition);
        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Ingest:Bridges:0", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Plain_mqtt_is_allowed_to_a_loopback_broker()
    {
        Assert.True(Validate(Valid with { Host = "127.0.0.1", UseTls = false }).Succeeded);
        Assert.True(Validate(Valid with { Host = "localhost", UseTls = false }).Succeeded);
    }

    [Fact]
    public void Two_bridges_with_one_name_or_one_session_are_refused()
    {
        Assert.Contains("Name is used by another bridge", Validate(Valid, Valid with { ClientId = "x" }).FailureMessage, StringComparison.Ordinal);
        Assert.Contains("ClientId is used by another bridge", Validate(Valid, Valid with { Name = "b", ClientId = "dcs-bridge-farm-broker" }).FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void No_failure_message_and_no_printout_shows_a_secret()
    {
        var typo = _token[..^1] + (_token[^1] == 'a' ? 'b' : 'a');
        var broken = Valid with { Token = typo, Port = -1, Password = "broker-password", ClientCertificatePassword = "p12-secret" };
        var result = Validate(broken);

        Assert.DoesNotContain(typo, result.FailureMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("broker-password", result.FailureMessage, StringComparison.Ordinal);
        var printed = broken.ToString();
        Assert.DoesNotContain(typo, printed, StringComparison.Ordinal);
        Assert.DoesNotContain("broker-password", printed, StringComparison.Ordinal);
        Assert.DoesNotContain("p12-secret", printed, StringComparison.Ordinal);
        Assert.Contains("farm-broker", printed, StringComparison.Ordinal);
    }

    [Fact]
    public void Configuration_binds_a_list_of_bridges_with_their_mapping()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Ingest:Bridges:0:Name"] = "farm",
            ["Ingest:Bridges:0:Host"] = "broker.example.com",
            ["Ingest:Bridges:0:Port"] = "8884",
            ["Ingest:Bridges:0:CaFile"] = "",
            ["Ingest:Bridges:0:Topics:0"] = "uplinks/#",
            ["Ingest:Bridges:0:Qos"] = "2",
            ["Ingest:Bridges:0:Protocol"] = "V311",
            ["Ingest:Bridges:0:Mapping:JsonPointer"] = "/end_device_ids/dev_eui",
            ["Ingest:Bridges:0:Mapping:Identity"] = "DevEui",
            ["Ingest:Bridges:0:Token"] = _token,
            ["Ingest:Bridges:0:SessionExpiry"] = "1.00:00:00",
            ["Ingest:Bridges:1:Name"] = "second",
            ["Ingest:Bridges:1:Host"] = "127.0.0.1",
            ["Ingest:Bridges:1:UseTls"] = "false",
            ["Ingest:Bridges:1:Mapping:Topic"] = "things/{serial}/data",
            ["Ingest:Bridges:1:Token"] = _token,
        }).Build();

        var options = configuration.GetSection(BridgeOptions.Section).Get<BridgeOptions>()!;

        Assert.Equal(2, options.Bridges.Count);
        var farm = options.Bridges[0];
        Assert.Equal(8884, farm.EffectivePort);
        Assert.Equal(["uplinks/#"], farm.Topics);
        Assert.Equal(2, farm.Qos);
        Assert.Equal(BridgeProtocol.V311, farm.Protocol);
        Assert.Equal(DeviceIdentityKind.DevEui, farm.Mapping.Identity);
        Assert.Equal(TimeSpan.FromDays(1), farm.SessionExpiry);
        Assert.Equal("dcs-bridge-farm", farm.EffectiveClientId);
        Assert.Equal(1883, options.Bridges[1].EffectivePort);
        Assert.Equal(BridgeDefinition.DefaultMaxPayloadBytes, options.Bridges[1].MaxPayloadBytes);
        var result = new BridgeOptionsValidator().Validate(null, options);
        Assert.True(result.Succeeded, result.FailureMessage);
    }

    private static Microsoft.Extensions.Options.ValidateOptionsResult Validate(params BridgeDefinition[] bridges) =>
        new BridgeOptionsValidator().Validate(null, new BridgeOptions { Bridges = bridges });
}
