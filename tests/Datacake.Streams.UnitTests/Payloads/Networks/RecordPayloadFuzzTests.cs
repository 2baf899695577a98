using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Datacake.Streams.Access;
using Datacake.Streams.Payloads.Networks;

namespace Datacake.Streams.UnitTests.Payloads.Networks;

/// <summary>
/// Issue 17, the allow-list under random input: members a network might add anywhere in its body (locations, names,
/// e-mails, whole objects) never reach the record, and no body, however broken, makes the rebuild throw or emit a
/// member outside <see cref="UplinkFields.Members"/>.
/// </summary>
public class RecordPayloadFuzzTests
{
    private const int Iterations = 3_000;

    // Members the allow-lists read: a random key equal to one of these would be a legitimate field, not a leak.
    private static readonly HashSet<string> _readNames =
    [
        "uplink_message", "f_port", "f_cnt", "decoded_payload", "frm_payload", "rx_metadata", "last_battery_percentage", "value",
        "fPort", "fCnt", "object", "data", "rxInfo", "batteryLevel", "margin", "port", "fcnt", "decoded", "payload", "hotspots",
        "rssi", "snr",

        // And what the parsers route and key by: changing those changes the message, not what leaks.
        "end_device_ids", "dev_eui", "device_id", "received_at", "session_key_id", "type", "uuid", "id", "devaddr",
        "reported_at", "coreid", "published_at", "event", "time",
    ];

    // Containers whose content is the device's measurements, copied on purpose.
    private static readonly HashSet<string> _valueContainers = ["decoded_payload", "object", "decoded"];

    private static readonly string[] _values =
    [
        "\"Marker-Home-Street-17\"", "47.123456", "{\"latitude\":47.123456,\"longitude\":8.654321,\"altitude\":17}",
        "[\"marker-gateway\",\"jane.doe@marker-mail.example\"]", "\"jane.doe@marker-mail.example\"",
        "{\"gateway_ids\":{\"gateway_id\":\"marker-gw\"},\"location\":{\"latitude\":47.123456},\"name\":\"Marker\"}",
    ];

    private static readonly Gen<(int Container, string Key, int Value)[]> _insertions =
        Gen.Select(Gen.Int[0, 100_000], Gen.String[Gen.Char["abcdefghijklmnopqrstuvwxyz_"], 1, 12], Gen.Int[0, _values.Length - 1])
            .Array[1, 8];

    [Theory]
    [MemberData(nameof(PrivateBodies.Kinds), MemberType = typeof(PrivateBodies))]
    public void Members_added_anywhere_outside_the_measurements_never_reach_the_record(WebhookKind kind, string fixture)
    {
        var pristine = Comparable(PrivateBodies.Stored(kind, Fixture.Bytes(fixture)));
        _insertions.Sample(insertions =>
        {
            var root = JsonNode.Parse(Fixture.Text(fixture))!;
            var containers = new List<JsonNode>();
            Collect(root, containers);
            foreach (var (container, key, value) in insertions)
            {
                var node = JsonNode.Parse(_values[value]);
                switch (containers[container % containers.Count])
                {
                    case JsonArray array:
                        array.Add(node);
                        break;
                    case JsonObject obj when !obj.ContainsKey(key) && !_readNames.Contains(key):
                        obj[key] = node;
                        break;
                }
            }

            var body = Encoding.UTF8.GetBytes(root.ToJsonString());
            var message = PrivateBodies.Parse(kind, body);
            var stored = RecordPayload.Build(kind, body, message.DevEui ?? message.ParticleId);
            Assert.NotNull(stored);
            var text = Encoding.UTF8.GetString(stored);
            Assert.Empty(PrivateBodies.Leaks(text));

            // Apart from the gateway count (an added array element may be a gateway), exactly what the body gave before.
            Assert.Equal(pristine, Comparable(text));
        }, iter: Iterations);
    }

    [Theory]
    [MemberData(nameof(PrivateBodies.Kinds), MemberType = typeof(PrivateBodies))]
    public void A_broken_body_never_throws_and_never_yields_a_member_outside_the_allow_list(WebhookKind kind, string fixture)
    {
        var built = 0;
        MalformedBodies.From(Fixture.Bytes(fixture)).Sample(body =>
        {
            var stored = RecordPayload.Build(kind, body, "device");
            if (stored is null)
            {
                return;
            }

            Interlocked.Increment(ref built);
            using var document = JsonDocument.Parse(stored);
            foreach (var member in document.RootElement.EnumerateObject())
            {
                Assert.Contains(member.Name, UplinkFields.Members);
            }
        }, iter: Iterations);

        // Some mutations keep the body JSON (a changed digit, a dropped member): the writer did run on those.
        Assert.True(built > 0, "no broken body was JSON: the writer was never exercised");
    }

    private static void Collect(JsonNode node, List<JsonNode> containers)
    {
        switch (node)
        {
            case JsonObject obj:
                containers.Add(obj);
                foreach (var (name, child) in obj)
                {
                    if (child is not null && !_valueContainers.Contains(name))
                    {
                        Collect(child, containers);
                    }
                }

                break;
            case JsonArray array:
                containers.Add(array);
                foreach (var child in array)
                {
                    if (child is not null)
                    {
                        Collect(child, containers);
                    }
                }

                break;
        }
    }

    private static string Comparable(string stored)
    {
        var obj = JsonNode.Parse(stored)!.AsObject();
        obj.Remove(UplinkFields.Gateways);
        return obj.ToJsonString();
    }
}
