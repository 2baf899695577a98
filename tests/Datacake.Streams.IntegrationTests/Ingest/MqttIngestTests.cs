using System.Diagnostics;
using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.IntegrationTests.Core.RecordLog;
using Datacake.Streams.IntegrationTests.Log.Faster;
using Datacake.Streams.IntegrationTests.Log.Kafka;
using Datacake.Streams.IntegrationTests.Services;
using Datacake.Streams.Records;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using MQTTnet;

namespace Datacake.Streams.IntegrationTests.Ingest;

/// <summary>The MQTT broker with real clients (MQTTnet, mosquitto_pub over TLS) into a real FasterLog.</summary>
public sealed class MqttIngestTests : IAsyncLifetime
{
    private readonly TempLogDirectory _directory = new();
    private readonly List<IMqttClient> _clients = [];
    private IngestTestHost _host = null!;

    public async Task InitializeAsync() => _host = await IngestTestHost.StartAsync(_directory.Path, new Dictionary<string, string?>
    {
        ["Ingest:Mqtt:MaxPayloadBytes"] = "4096",
        ["Ingest:Mqtt:UnavailableHold"] = "00:01:00",
        ["Ingest:Mqtt:MaxKeptSessionsPerCredential"] = "3",
    });

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await _host.DisposeAsync();
        _directory.Dispose();
    }

    private string Topic => $"devices/{_host.Device}/measurements";

    [Fact]
    public void Plain_and_tls_listeners_bind_only_the_configured_loopback_address_of_one_family()
    {
        foreach (var endpoint in new[] { _host.Mqtt.PlainEndpoint!, _host.Mqtt.TlsEndpoint! })
        {
            var listening = ListeningAddresses(endpoint.Port);
            Assert.Equal(["127.0.0.1"], listening);
        }
    }

    /// <summary>Local addresses of the sockets in LISTEN state on a port, from the kernel's own tables.</summary>
    private static List<string> ListeningAddresses(int port)
    {
        var found = new List<string>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var local = columns[1].Split(':');
                const string Listen = "0A";
                if (columns[3] == Listen && Convert.ToInt32(local[1], 16) == port)
                {
                    var bytes = Convert.FromHexString(local[0]);
                    // The kernel prints each 32-bit word in host (little-endian) order.
                    for (var word = 0; word < bytes.Length; word += 4)
                    {
                        Array.Reverse(bytes, word, 4);
                    }

                    found.Add(new System.Net.IPAddress(bytes).ToString());
                }
            }
        }

        return found;
    }

    [Fact]
    public async Task A_qos1_publish_is_acknowledged_after_it_is_an_anonymous_raw_record()
    {
        var client = await ConnectAsync(_host.DeviceToken.Secret);
        var result = await client.PublishAsync(Message(Topic, """{"temperature":21.5}""", MqttQualityOfServiceLevel.AtLeastOnce));
        Assert.Equal(MqttClientPublishReasonCode.Success, result.ReasonCode);

        var (record, bytes) = Assert.Single(_host.ReadRaw());
        Assert.Equal(_host.Device, record.DeviceId);
        Assert.Equal(SourceKind.Mqtt, record.Source);
        Assert.Equal(PayloadKind.JsonValues, record.PayloadKind);
        Assert.Equal("""{"temperature":21.5}""", Encoding.UTF8.GetString(record.Payload.Span));
        Assert.Equal(_host.DeviceToken.Hash, record.Credential);
        Assert.StartsWith("mqtt:", record.MessageId, StringComparison.Ordinal);
        HttpIngestTests.AssertAnonymous(bytes, _host.DeviceToken);
        Assert.DoesNotContain("device-client", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Qos0_publishes_are_appended_without_an_ack_on_v311_too()
    {
        var client = await ConnectAsync(_host.DeviceToken.Secret, MqttProtocolVersion.V311);
        for (var i = 0; i < 50; i++)
        {
            await client.PublishAsync(Message(Topic, $"{{\"n\":{i}}}", MqttQualityOfServiceLevel.AtMostOnce));
        }

        var records = await WaitForRecordsAsync(50);
        Assert.All(records, r => Assert.Null(r.Record.MessageId));
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"{{\"n\":{i}}}"), records.Select(r => Encoding.UTF8.GetString(r.Record.Payload.Span)));
    }

    [Fact]
    public async Task Qos0_messages_the_broker_took_are_all_durable_and_counted_once_a_clean_stop_returns()
    {
        var client = await ConnectAsync(_host.DeviceToken.Secret);
        for (var i = 0; i < 2000; i++)
        {
            await client.PublishAsync(Message(Topic, $"{{\"n\":{i}}}", MqttQualityOfServiceLevel.AtMostOnce));
        }

        // Stop while appends are still waiting for their group commit: the stop waits for them, not the log's disposal.
        await _host.Mqtt.StopAsync(CancellationToken.None);

        Assert.Equal(0, _host.Mqtt.PendingQos0);
        Assert.Equal(0, _host.Mqtt.DroppedQos0);
        var stored = _host.ReadRaw().Count;
        Assert.True(stored > 0, "no QoS 0 message reached the log");
        Assert.Equal(stored, _host.Mqtt.Counters.AcceptedQos0);
    }

    [Fact]
    public async Task Mosquitto_pub_over_tls_with_the_hosts_certificate_is_stored()
    {
        var ca = Path.Combine(_directory.Path, "ca.pem");
        await File.WriteAllTextAsync(ca, _host.CertificatePem);
        var result = await ExternalCommand.RunAsync("mosquitto_pub", TimeSpan.FromSeconds(20),
            "-h", "127.0.0.1", "-p", _host.Mqtt.TlsEndpoint!.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--cafile", ca, "-u", "any", "-P", _host.DeviceToken.Secret, "-V", "mqttv5", "-q", "1",
            "-t", Topic, "-m", """{"humidity":40}""");
        Assert.True(result.ExitCode == 0, result.Error);

        var (record, bytes) = Assert.Single(_host.ReadRaw());
        Assert.Equal(_host.Device, record.DeviceId);
        Assert.Equal(SourceKind.Mqtt, record.Source);
        Assert.Equal("""{"humidity":40}""", Encoding.UTF8.GetString(record.Payload.Span));
        HttpIngestTests.AssertAnonymous(bytes, _host.DeviceToken);

        // The plain port refuses TLS, the TLS port refuses an untrusted certificate chain.
        var untrusted = await ExternalCommand.RunAsync("mosquitto_pub", TimeSpan.FromSeconds(20),
            "-h", "127.0.0.1", "-p", _host.Mqtt.TlsEndpoint!.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--cafile", "/etc/ssl/certs/ca-certificates.crt", "-u", "any", "-P", _host.DeviceToken.Secret, "-q", "1", "-t", Topic, "-m", "{\"h\":1}");
        Assert.NotEqual(0, untrusted.ExitCode);
        Assert.Single(_host.ReadRaw());
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V500, "not-a-token")]
    [InlineData(MqttProtocolVersion.V311, "not-a-token")]
    [InlineData(MqttProtocolVersion.V500, "unknown")]
    [InlineData(MqttProtocolVersion.V500, "revoked")]
    [InlineData(MqttProtocolVersion.V311, "")]
    public async Task A_bad_password_is_refused_with_the_versions_reason_code(MqttProtocolVersion version, string password)
    {
        password = password switch
        {
            "unknown" => AccessToken.New().Secret,
            "revoked" => RevokedToken().Secret,
            _ => password,
        };
        using var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", _host.Mqtt.PlainEndpoint!.Port)
            .WithProtocolVersion(version).WithCredentials("u", password).WithTimeout(TimeSpan.FromSeconds(10)).Build();
        // A refused CONNECT does not throw in MQTTnet 5: the result carries the code.
        var code = (await client.ConnectAsync(options)).ResultCode;

        // 3.1.1 has 0x04 "bad user name or password"; MQTTnet maps both to the same result code.
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, code);
        Assert.Equal(0, _host.Mqtt.SessionCount);
    }

    [Theory]
    [Trait("Reliability", "mqtt-abuse")]
    [InlineData(MqttProtocolVersion.V500)]
    [InlineData(MqttProtocolVersion.V311)]
    public async Task An_anonymous_connect_without_user_name_or_password_is_refused(MqttProtocolVersion version)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", _host.Mqtt.PlainEndpoint!.Port)
            .WithProtocolVersion(version).WithTimeout(TimeSpan.FromSeconds(10)).Build();

        var code = (await client.ConnectAsync(options)).ResultCode;

        Assert.True(code is MqttClientConnectResultCode.BadUserNameOrPassword or MqttClientConnectResultCode.NotAuthorized, $"an anonymous CONNECT got {code}");
        Assert.Equal(0, _host.Mqtt.SessionCount);
    }

    [Fact]
    [Trait("Reliability", "brute-force")]
    [Trait("Reliability", "mqtt-abuse")]
    public async Task Repeated_bad_passwords_get_connection_rate_exceeded_but_a_good_token_still_connects()
    {
        // The default budget: 10 failures per (address, user name) at once.
        for (var i = 0; i < 10; i++)
        {
            using var refused = new MqttClientFactory().CreateMqttClient();
            var result = await refused.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", _host.Mqtt.PlainEndpoint!.Port)
                .WithCredentials("u", AccessToken.New().Secret).WithTimeout(TimeSpan.FromSeconds(10)).Build());
            Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, result.ResultCode);
        }

        using (var limited = new MqttClientFactory().CreateMqttClient())
        {
            var throttled = await limited.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", _host.Mqtt.PlainEndpoint!.Port)
                .WithCredentials("u", AccessToken.New().Secret).WithTimeout(TimeSpan.FromSeconds(10)).Build());
            Assert.Equal(MqttClientConnectResultCode.ConnectionRateExceeded, throttled.ResultCode);
        }

        // A valid token is never refused for failures from its address, even under the same user name.
        using var client = new MqttClientFactory().CreateMqttClient();
        var connected = await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", _host.Mqtt.PlainEndpoint!.Port)
            .WithCredentials("u", _host.DeviceToken.Secret).WithTimeout(TimeSpan.FromSeconds(10)).Build());
        Assert.Equal(MqttClientConnectResultCode.Success, connected.ResultCode);
        Assert.Equal(1, _host.Mqtt.SessionCount);
    }

    [Fact]
    [Trait("Reliability", "mqtt-abuse")]
    public async Task Publishing_outside_the_tokens_devices_gets_not_authorized_and_stores_nothing()
    {
        var client = await ConnectAsync(_host.DeviceToken.Secret);
        foreach (var topic in new[] { $"devices/{_host.OtherDevice}/measurements", $"devices/{_host.ReadOnlyDevice}/measurements", $"devices/{_host.DeletedDevice}/measurements", "devices/x/measurements", "other" })
        {
            var result = await client.PublishAsync(Message(topic, """{"t":1}""", MqttQualityOfServiceLevel.AtLeastOnce));
            Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, result.ReasonCode);
        }

        var bad = await client.PublishAsync(Message(Topic, """{"t":null}""", MqttQualityOfServiceLevel.AtLeastOnce));
        Assert.Equal(MqttClientPublishReasonCode.PayloadFormatInvalid, bad.ReasonCode);
        Assert.True(client.IsConnected);
        Assert.Empty(_host.ReadRaw());
    }

    [Fact]
    [Trait("Reliability", "mqtt-abuse")]
    public async Task A_qos0_publish_outside_scope_closes_the_connection_with_not_authorized()
    {
        var client = await ConnectAsync(_host.DeviceToken.Secret);
        var disconnected = new TaskCompletionSource<MqttClientDisconnectedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.DisconnectedAsync += e =>
        {
            disconnected.TrySetResult(e);
            return Task.CompletedTask;
        };
        await client.PublishAsync(Message($"devices/{_host.OtherDevice}/measurements", """{"t":1}""", MqttQualityOfServiceLevel.AtMostOnce));
        var e = await disconnected.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(MqttClientDisconnectReason.NotAuthorized, e.Reason);
        Assert.Empty(_host.ReadRaw());
    }

    [Fact]
    [Trait("Reliability", "oversized-and-deep-json")]
    [Trait("Reliability", "mqtt-abuse")]
    public async Task A_payload_over_the_limit_disconnects_with_packet_too_large_and_stores_nothing()
    {
        var client = await ConnectAsync(_host.DeviceToken.Secret);
        var disconnected = new TaskCompletionSource<MqttClientDisconnectedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.DisconnectedAsync += e =>
        {
            disconnected.TrySetResult(e);
            return Task.CompletedTask;
        };
        var publish = client.PublishAsync(Message(Topic, "{\"s\":\"" + new string('x', 5000) + "\"}", MqttQualityOfServiceLevel.AtLeastOnce));
        var e = await disconnected.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(MqttClientDisconnectReason.PacketTooLarge, e.Reason);
        await Assert.ThrowsAnyAsync<Exception>(() => publish);
        Assert.Empty(_host.ReadRaw());
    }

    [Theory]
    [InlineData("#")]
    [InlineData("devices/#")]
    [InlineData("devices/+/measurements")]
    [InlineData("other")]
    [InlineData("OTHER_DEVICE")]
    public async Task Subscriptions_beyond_the_tokens_own_devices_are_not_authorized(string filter)
    {
        filter = filter.Replace("OTHER_DEVICE", $"devices/{_host.OtherDevice}/#", StringComparison.Ordinal);
        var client = await ConnectAsync(_host.DeviceToken.Secret);
        var result = await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter).Build());
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, Assert.Single(result.Items).ResultCode);

        var own = await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter($"devices/{_host.Device}/#").Build());
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS0, Assert.Single(own.Items).ResultCode);
    }

    [Fact]
    [Trait("Reliability", "revocation")]
    public async Task A_revoked_tokens_session_is_closed_within_two_seconds()
    {
        var token = _host.AddToken(g => new TokenGrant { TokenId = g.TokenId, Hash = g.Hash, WorkspaceId = g.WorkspaceId, Devices = [new DeviceGrant(_host.Device, DeviceAccess.ReadWrite)] });
        var client = await ConnectAsync(token.Secret);
        var disconnected = new TaskCompletionSource<MqttClientDisconnectedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.DisconnectedAsync += e =>
        {
            disconnected.TrySetResult(e);
            return Task.CompletedTask;
        };

        var clock = Stopwatch.StartNew();
        _host.Revoke(token);
        var e = await disconnected.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"closed after {clock.Elapsed}");
        Assert.Equal(MqttClientDisconnectReason.NotAuthorized, e.Reason);
    }

    [Fact]
    public async Task Sessions_kept_without_a_connection_are_capped_per_credential_and_another_credentials_session_stays()
    {
        // 3.1.1 without clean session: a session that never expires. A token cycling through client ids would grow the
        // memory all tenants share; the cap (3 here) makes the credential forget its own oldest one instead.
        var port = _host.Mqtt.PlainEndpoint!.Port;
        var other = _host.AddToken();
        await DropAsync(await EndToEnd.MqttWire.ConnectAcceptedAsync(port, "kept-by-other", other.Secret));
        await KeptAsync(other, 1);

        for (var i = 0; i < 5; i++)
        {
            var (wire, code) = await EndToEnd.MqttWire.ConnectAsync(port, $"client-{i}", _host.DeviceToken.Secret);
            Assert.Equal(0, code);
            await DropAsync(wire);
            await KeptAsync(_host.DeviceToken, Math.Min(i + 1, 3));
        }

        Assert.True(await SessionPresentAsync("client-4", _host.DeviceToken, keptAfter: 3), "the newest kept session was forgotten");
        Assert.False(await SessionPresentAsync("client-0", _host.DeviceToken, keptAfter: 3), "the oldest session past the cap was kept");

        // The other credential's session was not pushed out by this one's.
        Assert.True(await SessionPresentAsync("kept-by-other", other, keptAfter: 1), "another credential's session was forgotten");

        async Task<bool> SessionPresentAsync(string clientId, AccessToken token, int keptAfter)
        {
            var (wire, code) = await EndToEnd.MqttWire.ConnectAsync(port, clientId, token.Secret);
            Assert.Equal(0, code);
            var present = wire.SessionPresent;
            await DropAsync(wire);
            await KeptAsync(token, keptAfter);
            return present;
        }

        // Dropped without DISCONNECT: the broker keeps the session once it has seen the socket close.
        static async Task DropAsync(EndToEnd.MqttWire wire) => await wire.DisposeAsync();

        async Task KeptAsync(AccessToken token, int count) => await EndToEnd.Until.Async(
            () => Task.FromResult((Kept: _host.Mqtt.KeptSessionsOf(token.Hash), Open: _host.Mqtt.SessionCount)),
            state => state.Kept == count && state.Open == 0,
            $"{count} sessions kept for the token");
    }

    [Fact]
    public async Task A_resumed_session_is_judged_by_the_connection_that_resumed_it_not_by_what_the_previous_one_left()
    {
        var clientId = "device-client-" + Guid.NewGuid().ToString("N");
        var v5 = new MqttClientFactory().CreateMqttClient();
        _clients.Add(v5);
        var persistent = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", _host.Mqtt.PlainEndpoint!.Port).WithClientId(clientId)
            .WithProtocolVersion(MqttProtocolVersion.V500).WithCleanStart(false).WithSessionExpiryInterval(300)
            .WithCredentials("device", _host.DeviceToken.Secret).WithTimeout(TimeSpan.FromSeconds(10)).Build();
        Assert.Equal(MqttClientConnectResultCode.Success, (await v5.ConnectAsync(persistent)).ResultCode);

        // The same token and client id on 3.1.1 takes the v5 connection's session over (CONNACK comes after the takeover).
        var (wire, code) = await EndToEnd.MqttWire.ConnectAsync(_host.Mqtt.PlainEndpoint!.Port, clientId, _host.DeviceToken.Secret);
        await using (wire)
        {
            Assert.Equal(0, code);
            Assert.True(wire.SessionPresent);
            Assert.Equal(1, _host.Mqtt.SessionCount);

            // Refused as a 3.1.1 connection is (closed, no PUBACK), not with the v5 PUBACK 0x87 that a 3.1.1 client
            // would read as success.
            await wire.PublishQos1RefusedAsync($"devices/{_host.OtherDevice}/measurements", """{"t":1}""", packetId: 1);
        }

        Assert.Empty(_host.ReadRaw());
    }

    [Fact]
    [Trait("Reliability", "log-restart-during-produce")]
    public async Task The_qos1_puback_waits_while_the_log_is_unavailable_and_comes_once_it_is_durable()
    {
        var client = await ConnectAsync(_host.DeviceToken.Secret);
        _host.Log.Unavailable = true;
        var publish = client.PublishAsync(Message(Topic, """{"t":7}""", MqttQualityOfServiceLevel.AtLeastOnce));

        // The broker keeps retrying the append; the PUBACK has not come while it fails.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (_host.Log.RefusedAppends < 5 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.True(_host.Log.RefusedAppends >= 5, $"only {_host.Log.RefusedAppends} attempts");
        Assert.False(publish.IsCompleted);
        Assert.Empty(_host.ReadRaw());

        _host.Log.Unavailable = false;
        var result = await publish.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(MqttClientPublishReasonCode.Success, result.ReasonCode);
        Assert.Single(_host.ReadRaw());
    }

    private AccessToken RevokedToken() => _host.AddToken(g => new TokenGrant
    {
        TokenId = g.TokenId, Hash = g.Hash, WorkspaceId = g.WorkspaceId, Devices = [new DeviceGrant(_host.Device, DeviceAccess.ReadWrite)],
        RevokedAt = DateTimeOffset.UtcNow.AddSeconds(-1),
    });

    private async Task<List<(RawRecord Record, byte[] Bytes)>> WaitForRecordsAsync(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var records = _host.ReadRaw();
            if (records.Count >= count || DateTime.UtcNow > deadline)
            {
                Assert.Equal(count, records.Count);
                return records;
            }
        }
    }

    private async Task<IMqttClient> ConnectAsync(string password, MqttProtocolVersion version = MqttProtocolVersion.V500)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        _clients.Add(client);
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", _host.Mqtt.PlainEndpoint!.Port)
            .WithClientId("device-client-" + Guid.NewGuid().ToString("N"))
            .WithProtocolVersion(version)
            .WithCredentials("device", password)
            .WithTimeout(TimeSpan.FromSeconds(10))
            .Build();
        var result = await client.ConnectAsync(options);
        Assert.Equal(MqttClientConnectResultCode.Success, result.ResultCode);
        return client;
    }

    private static MqttApplicationMessage Message(string topic, string payload, MqttQualityOfServiceLevel qos) =>
        new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(qos).Build();
}
