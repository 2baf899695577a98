using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using CsCheck;
using Datacake.Streams.IntegrationTests.Core.RecordLog;
using Datacake.Streams.Payloads.JsonValues;

namespace Datacake.Streams.IntegrationTests.Ingest.Mqtt;

/// <summary>
/// 10,000 generated and mutated MQTT conversations through real sockets into the real broker of a running ingest host
/// (Kestrel, the broker, FasterLog on disk): valid CONNECTs followed by valid and mutated PUBLISH, SUBSCRIBE,
/// UNSUBSCRIBE, PINGREQ, PUBREL, PUBACK, DISCONNECT, AUTH and second CONNECT packets; mutated CONNECTs; bytes that
/// are no MQTT at all. The unit suite fuzzes the codec alone (Wire/MqttPacketsFuzzTests); this is the broker around it:
/// the receive loop, batching, refusals, the closing of connections, and what reaches the log.
/// </summary>
public sealed partial class MqttBrokerFuzzTests : IAsyncLifetime
{
    private const int Conversations = 10_000;

    /// <summary>How long a conversation may take to be answered and closed: no hang survives it.</summary>
    private static readonly TimeSpan _deadline = TimeSpan.FromSeconds(15);

    /// <summary>MQTT 5 CONNACK reason codes (§3.2.2.2); a 2-byte CONNACK carries a 3.1.1 return code (0 to 5).</summary>
    private static readonly HashSet<byte> _connackCodes = [0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F];

    /// <summary>MQTT 5 PUBACK/PUBREC/PUBCOMP reason codes (§3.4.2.1, §3.7.2.1).</summary>
    private static readonly HashSet<byte> _ackCodes = [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x92, 0x97, 0x99];

    /// <summary>MQTT 5 DISCONNECT reason codes (§3.14.2.1).</summary>
    private static readonly HashSet<byte> _disconnectCodes =
        [0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2];

    private readonly TempLogDirectory _directory = new();
    private IngestTestHost _host = null!;

    public async Task InitializeAsync() => _host = await IngestTestHost.StartAsync(_directory.Path, new Dictionary<string, string?>
    {
        // Conversations left open (1 in 50) rely on the broker's own clocks to be closed: short ones keep the test short.
        ["Ingest:Mqtt:ConnectTimeout"] = "00:00:01",
        ["Ingest:Mqtt:RevocationCheckInterval"] = "00:00:00.200",
    });

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _directory.Dispose();
    }

    private sealed record Mutation(int Kind, int At, byte Value, byte[] Extra);

    private sealed record Step(int Template, int Qos, Mutation? Mutation);

    /// <summary>One conversation: how it opens (0-1 mutated CONNECT, 2 bytes that are no MQTT, else a valid CONNECT), the packets after it, and whether it is held open.</summary>
    private sealed record Plan(byte Version, int Opening, Mutation ConnectMutation, byte[] Garbage, Step[] Steps, bool Held);

    private const int Templates = 14;

    private static readonly Gen<Mutation> _mutation = Gen.Select(Gen.Int[0, 6], Gen.Int[0, 4096], Gen.Byte, Gen.Byte.Array[1, 12], (k, a, v, e) => new Mutation(k, a, v, e));

    private static readonly Gen<Step> _step = Gen.Select(Gen.Int[0, Templates - 1], Gen.Int[0, 2], Gen.Int[0, 2], _mutation, (t, q, m, mutation) => new Step(t, q, m == 0 ? null : mutation));

    private static readonly Gen<Plan> _plan = Gen.Select(
        Gen.Bool.Select(v5 => v5 ? (byte)5 : (byte)4), Gen.Int[0, 9], _mutation, Gen.Byte.Array[0, 64], _step.Array[0, 5], Gen.Int[0, 49],
        (version, opening, mutation, garbage, steps, held) => new Plan(version, opening, mutation, garbage, steps, held == 0 && opening > 2));

    [Fact]
    [Trait("Reliability", "fuzzing")]
    public async Task Ten_thousand_mutated_conversations_get_only_proper_answers_and_closes_store_only_whole_messages_and_the_broker_keeps_serving()
    {
        var plans = _plan.Array[Conversations].Single();
        var sent = new byte[Conversations][];
        var failures = new ConcurrentQueue<string>();
        var acknowledged = 0;
        var refusedConnects = 0;
        var disconnects = 0;
        var closedUnanswered = 0;
        var broker = _host.Mqtt.PlainEndpoint!;

        await Parallel.ForEachAsync(Enumerable.Range(0, Conversations), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (index, _) =>
        {
            var plan = plans[index];
            var bytes = sent[index] = Conversation(plan, index);
            var outcome = await ConverseAsync(broker, bytes, plan.Held);
            if (outcome.Failure is { } failure)
            {
                failures.Enqueue($"conversation {index} ({Convert.ToHexString(bytes.AsSpan(0, Math.Min(bytes.Length, 200)))}): {failure}");
            }

            Interlocked.Add(ref acknowledged, outcome.Acknowledged);
            Interlocked.Add(ref refusedConnects, outcome.RefusedConnect ? 1 : 0);
            Interlocked.Add(ref disconnects, outcome.Disconnect ? 1 : 0);
            Interlocked.Add(ref closedUnanswered, outcome.Unanswered ? 1 : 0);
        });

        Assert.True(failures.IsEmpty, $"{failures.Count} conversations went wrong; the first ones:\n{string.Join('\n', failures.Take(10))}");
        var summary = $"{acknowledged} acknowledged, {refusedConnects} CONNECTs refused, {disconnects} DISCONNECTs, {closedUnanswered} closed unanswered";

        // The generator reached every way out: stored messages, refused CONNECTs, DISCONNECT with a reason, plain closes.
        Assert.True(acknowledged > 300 && refusedConnects > 100 && disconnects > 500 && closedUnanswered > 500, summary);

        // Every connection ended inside the broker too: none is left half-counted.
        var until = DateTime.UtcNow + _deadline;
        while (_host.Mqtt.SessionCount > 0 && DateTime.UtcNow < until)
        {
            await Task.Delay(20);
        }

        Assert.Equal(0, _host.Mqtt.SessionCount);

        // Only whole messages were stored: each record is the token's device, a body the rules accept, and the exact
        // bytes of a payload some conversation sent; and every acknowledgement stands for a stored record.
        var stored = _host.ReadRaw();
        Assert.True(stored.Count >= acknowledged, $"{stored.Count} records for {summary}");
        foreach (var (record, _) in stored)
        {
            Assert.Equal(_host.Device, record.DeviceId);
            var payload = record.Payload.ToArray();
            Assert.True(MeasurementBody.Check(payload).IsValid, $"stored an invalid body: {Encoding.UTF8.GetString(payload)}");
            Assert.True(SentBy(payload, sent), $"stored bytes no conversation sent as one payload: {Encoding.UTF8.GetString(payload)}");
        }

        // The broker still serves a well-behaved device, and stores what it sends.
        using var good = await MqttPacketBytes.OpenAsync(broker);
        using var timeout = new CancellationTokenSource(_deadline);
        await good.SendAsync(MqttPacketBytes.Connect(5, "after-the-fuzz", "device", _host.DeviceToken.Secret, keepAliveSeconds: 60));
        var connack = await MqttPacketBytes.ReadPacketAsync(good, timeout.Token);
        Assert.Equal<byte?>(0x20, connack?.Header);
        Assert.Equal(0, connack!.Value.Body[1]);
        await good.SendAsync(MqttPacketBytes.Publish(Topic, "{\"after\":1}", qos: 1, packetId: 7, v5: true));
        var puback = await MqttPacketBytes.ReadPacketAsync(good, timeout.Token);
        Assert.Equal<byte?>(0x40, puback?.Header);
        Assert.True(puback!.Value.Body.Length == 2 || puback.Value.Body[2] == 0, "the good publish was refused");
        Assert.Contains(_host.ReadRaw(), r => Encoding.UTF8.GetString(r.Record.Payload.Span) == "{\"after\":1}");
    }

    private string Topic => $"devices/{_host.Device}/measurements";

    /// <summary>The bytes of one conversation: its opening, then its packets, each mutated or not.</summary>
    private byte[] Conversation(Plan plan, int index)
    {
        var v5 = plan.Version == 5;
        var connect = MqttPacketBytes.Connect(plan.Version, $"fuzz-{index}", "device", _host.DeviceToken.Secret, keepAliveSeconds: 1);
        var bytes = new List<byte>(plan.Opening switch
        {
            0 or 1 => Mutate(connect, plan.ConnectMutation),
            2 => plan.Garbage,
            _ => connect,
        });
        for (var i = 0; i < plan.Steps.Length; i++)
        {
            var step = plan.Steps[i];
            var packetId = (ushort)(i + 1);

            // A payload names its conversation ("n" / 8), so that a stored record can be traced back to what was sent.
            var payload = string.Create(CultureInfo.InvariantCulture, $"{{\"n\":{(index * 8) + i},\"t\":21.5}}");
            var packet = step.Template switch
            {
                0 or 1 or 2 or 3 => MqttPacketBytes.Publish(Topic, payload, step.Qos, packetId, v5),
                4 => MqttPacketBytes.Publish($"devices/{_host.OtherDevice}/measurements", payload, step.Qos, packetId, v5),
                5 => MqttPacketBytes.Publish(Topic, "{\"t\":", step.Qos, packetId, v5),
                6 => MqttPacketBytes.Subscribe($"devices/{_host.Device}/#", packetId, v5),
                7 => MqttPacketBytes.Subscribe("#", packetId, v5),
                8 => MqttPacketBytes.Unsubscribe("#", packetId, v5),
                9 => [0xC0, 0],
                10 => [0x62, 2, 0, (byte)packetId],
                11 => [0x40, 2, 0, (byte)packetId],
                12 => step.Qos == 0 ? [0xE0, 0] : [0xF0, 0],
                _ => connect,
            };
            bytes.AddRange(step.Mutation is { } mutation ? Mutate(packet, mutation) : packet);
        }

        return bytes.ToArray();
    }

    /// <summary>One change: a byte replaced, the packet cut short, bytes inserted, the length or the header byte replaced, bytes appended.</summary>
    private static byte[] Mutate(byte[] packet, Mutation mutation)
    {
        var bytes = new List<byte>(packet);
        var at = mutation.At % Math.Max(1, bytes.Count);
        switch (mutation.Kind)
        {
            case 0 when bytes.Count > 0:
                bytes[at] = mutation.Value;
                break;
            case 1:
                bytes.RemoveRange(at, bytes.Count - at);
                break;
            case 2:
                bytes.InsertRange(Math.Min(at, bytes.Count), mutation.Extra);
                break;
            case 3 when bytes.Count > 1:
                bytes[1] = mutation.Value;
                break;
            case 4 when bytes.Count > 0:
                bytes[0] = mutation.Value;
                break;
            case 5 when bytes.Count > 1:
                bytes.RemoveRange(at, Math.Min(mutation.Extra.Length, bytes.Count - at));
                break;
            default:
                bytes.AddRange(mutation.Extra);
                break;
        }

        return bytes.ToArray();
    }

    private readonly record struct Outcome(string? Failure, int Acknowledged, bool RefusedConnect, bool Disconnect, bool Unanswered);

    /// <summary>
    /// Sends a conversation, then (unless it is held) says it has no more to send; reads every answer until the broker
    /// closes. Each answer must be a whole packet of a kind the broker may send, with a defined reason code, CONNACK
    /// first and DISCONNECT last; a held conversation must be closed by the broker's own clocks (connect timeout,
    /// keep-alive of 1 s), and none may outlive the deadline.
    /// </summary>
    private static async Task<Outcome> ConverseAsync(IPEndPoint broker, byte[] bytes, bool held)
    {
        using var timeout = new CancellationTokenSource(_deadline);
        using var socket = await MqttPacketBytes.OpenAsync(broker, cancellationToken: timeout.Token);
        try
        {
            await socket.SendAsync(bytes, SocketFlags.None, timeout.Token);
            if (!held)
            {
                socket.Shutdown(SocketShutdown.Send);
            }
        }
        catch (SocketException)
        {
            // The broker closed before it took everything: what it answered is still read below.
        }

        var acknowledged = 0;
        var packets = 0;
        var refused = false;
        var disconnect = false;
        try
        {
            while (await MqttPacketBytes.ReadPacketAsync(socket, timeout.Token) is { } packet)
            {
                var (header, body) = packet;
                if (refused || disconnect)
                {
                    return Fail($"0x{header:X2} after the connection was refused or disconnected");
                }

                if (packets++ == 0 && header != 0x20)
                {
                    return Fail($"0x{header:X2} before CONNACK");
                }

                switch (header)
                {
                    case 0x20 when packets == 1 && body.Length >= 2:
                        var code = body[1];
                        if (body.Length == 2 ? code > 5 : !_connackCodes.Contains(code))
                        {
                            return Fail($"CONNACK with reason 0x{code:X2}");
                        }

                        refused = code != 0;
                        break;
                    case 0x40 or 0x50 or 0x70 when body.Length >= 2:
                        if (body.Length > 2 && !_ackCodes.Contains(body[2]))
                        {
                            return Fail($"acknowledgement 0x{header:X2} with reason 0x{body[2]:X2}");
                        }

                        acknowledged += header != 0x70 && (body.Length == 2 || body[2] == 0) ? 1 : 0;
                        break;
                    case 0x90 when body.Length >= 3:
                    case 0xB0 when body.Length >= 2:
                    case 0xD0 when body.Length == 0:
                        break;
                    case 0xE0 when body.Length >= 1:
                        if (!_disconnectCodes.Contains(body[0]))
                        {
                            return Fail($"DISCONNECT with reason 0x{body[0]:X2}");
                        }

                        disconnect = true;
                        break;
                    default:
                        return Fail($"unexpected packet 0x{header:X2} of {body.Length} bytes");
                }
            }
        }
        catch (OperationCanceledException)
        {
            return Fail($"still open after {_deadline.TotalSeconds} s{(held ? " (held: the broker's timeouts should have closed it)" : string.Empty)}");
        }
        catch (InvalidDataException exception)
        {
            return Fail($"a broken answer: {exception.Message}");
        }

        return new Outcome(null, acknowledged, refused, disconnect, packets == 0);

        static Outcome Fail(string why) => new(why, 0, false, false, false);
    }

    /// <summary>Whether <paramref name="payload"/> appears whole in what a conversation sent: first the one its "n" names, else any.</summary>
    private static bool SentBy(byte[] payload, byte[][] sent)
    {
        var match = ConversationNumber().Match(Encoding.UTF8.GetString(payload));
        if (match.Success && long.TryParse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture, out var n) && n / 8 < sent.Length && sent[n / 8].AsSpan().IndexOf(payload) >= 0)
        {
            return true;
        }

        return sent.Any(bytes => bytes.AsSpan().IndexOf(payload) >= 0);
    }

    [GeneratedRegex("\"n\":(\\d+)")]
    private static partial Regex ConversationNumber();
}
