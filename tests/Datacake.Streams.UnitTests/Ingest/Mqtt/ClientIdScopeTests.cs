using Datacake.Streams.Access;
using Datacake.Streams.Ingest.Mqtt;
using MQTTnet.Formatter;

namespace Datacake.Streams.UnitTests.Ingest.Mqtt;

public sealed class ClientIdScopeTests
{
    private static readonly TokenHash _tenantA = TokenHash.Of(AccessToken.New().Secret);
    private static readonly TokenHash _tenantB = TokenHash.Of(AccessToken.New().Secret);

    [Fact]
    public void The_same_client_id_under_two_credentials_is_two_sessions_and_under_one_credential_one()
    {
        Assert.NotEqual(ClientIdScope.SessionId(_tenantA, "boiler-1"), ClientIdScope.SessionId(_tenantB, "boiler-1"));
        Assert.Equal(ClientIdScope.SessionId(_tenantA, "boiler-1"), ClientIdScope.SessionId(_tenantA, "boiler-1"));
        Assert.NotEqual(ClientIdScope.SessionId(_tenantA, "boiler-1"), ClientIdScope.SessionId(_tenantA, "boiler-2"));
    }

    [Fact]
    public void A_client_id_cannot_spell_another_credentials_scope()
    {
        // B picks as its client id the whole session id of A's device: B's scope still comes first.
        var forged = ClientIdScope.SessionId(_tenantA, "boiler-1");
        var b = ClientIdScope.SessionId(_tenantB, forged);
        Assert.StartsWith(_tenantB.ToHex() + "/", b, StringComparison.Ordinal);
        Assert.NotEqual(forged, b);
        Assert.Equal(TokenHash.ByteLength * 2, forged.IndexOf('/', StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311, true, nameof(ClientIdOutcome.Assigned))]
    [InlineData(MqttProtocolVersion.V311, false, nameof(ClientIdOutcome.Refused))]
    [InlineData(MqttProtocolVersion.V500, true, nameof(ClientIdOutcome.Assigned))]
    [InlineData(MqttProtocolVersion.V500, false, nameof(ClientIdOutcome.Assigned))]
    [InlineData(MqttProtocolVersion.V310, true, nameof(ClientIdOutcome.Refused))]
    public void An_empty_client_id_is_assigned_where_the_protocol_allows_it(MqttProtocolVersion version, bool cleanSession, string outcome)
    {
        // By name: the enum is internal, a public test method cannot take it.
        var expected = Enum.Parse<ClientIdOutcome>(outcome);
        foreach (var empty in new[] { null, "" })
        {
            Assert.Equal(expected, ClientIdScope.Resolve(empty, version, cleanSession, out var clientId));
            if (expected == ClientIdOutcome.Assigned)
            {
                Assert.StartsWith("dcs-", clientId, StringComparison.Ordinal);
                ClientIdScope.Resolve(empty, version, cleanSession, out var second);
                Assert.NotEqual(clientId, second);
            }
        }
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311, false)]
    [InlineData(MqttProtocolVersion.V500, true)]
    [InlineData(MqttProtocolVersion.V310, false)]
    public void A_sent_client_id_is_kept(MqttProtocolVersion version, bool cleanSession)
    {
        Assert.Equal(ClientIdOutcome.AsSent, ClientIdScope.Resolve("boiler-1", version, cleanSession, out var clientId));
        Assert.Equal("boiler-1", clientId);
    }
}
