using System.Buffers;
using CsCheck;
using Datacake.Streams.Ingest.Mqtt.Wire;

namespace Datacake.Streams.UnitTests.Ingest.Mqtt.Wire;

/// <summary>
/// The codec under 100k+ generated inputs: random bytes and mutations of real CONNECT and PUBLISH packets. Nothing
/// throws; every verdict is one of the closed set; a frame never reaches past its buffer nor over the limit; what a
/// PUBLISH parse returns lies inside its body.
/// </summary>
public sealed class MqttPacketsFuzzTests
{
    private static readonly byte[][] _seeds =
    [
        MqttPacketsTests.Concat(MqttPacketsTests.Str("MQTT"), [4, 0b1100_0010, 0, 60], MqttPacketsTests.Str(""), MqttPacketsTests.Str("any"), MqttPacketsTests.Str("dcs_secret")),
        MqttPacketsTests.Concat(MqttPacketsTests.Str("MQTT"), [5, 0b1100_0110, 0, 30], [5, 0x11, 0, 0, 1, 0x2C], MqttPacketsTests.Str("c"), [0], MqttPacketsTests.Str("w"), MqttPacketsTests.Str("{}"), MqttPacketsTests.Str("u"), MqttPacketsTests.Str("p")),
        MqttPacketsTests.Concat(MqttPacketsTests.Str("devices/d/measurements"), [0, 1], [2, 0x01, 1], "{\"t\":1}"u8.ToArray()),
    ];

    private static readonly Gen<byte[]> _mutation = Gen.Select(Gen.Int[0, _seeds.Length - 1], Gen.Int[0, 80], Gen.Int[0, 6], Gen.Byte, Gen.Int[0, 2])
        .Select(byte[] (seed, at, length, b, kind) =>
        {
            var bytes = _seeds[seed];
            var start = Math.Min(at, bytes.Length);
            var end = Math.Min(bytes.Length, start + length);
            return kind switch
            {
                0 => [.. bytes[..start], .. bytes[end..]],
                1 => [.. bytes[..start], b, .. bytes[start..]],
                _ => [.. bytes[..start], .. Enumerable.Repeat(b, end - start), .. bytes[end..]],
            };
        });

    [Fact]
    [Trait("Reliability", "fuzzing")]
    public void Connect_and_publish_parsers_never_throw_and_stay_inside_the_body()
    {
        Gen.Frequency((3, _mutation), (1, Gen.Byte.Array[0, 64])).Sample(body =>
        {
            var refusal = ConnectRequest.TryParse(body, out var connect);
            Assert.True(Enum.IsDefined(refusal));
            Assert.True(refusal != ConnectRequest.Refusal.None || connect.ClientId is not null);

            foreach (var header in new byte[] { 0x30, 0x32, 0x34, 0x3A })
            {
                foreach (var v5 in new[] { false, true })
                {
                    if (PublishPacket.TryParse(header, body, v5, out var publish, out var reason))
                    {
                        Assert.InRange(publish.PayloadOffset, 0, body.Length);
                        Assert.InRange(publish.Topic.Length, 0, body.Length);
                    }
                    else
                    {
                        Assert.Contains(reason, new byte[] { 0x81, 0x94 });
                    }
                }
            }
        }, iter: 60_000, threads: 1);
    }

    [Fact]
    [Trait("Reliability", "fuzzing")]
    public void Framing_never_throws_never_overreads_and_honours_the_limit()
    {
        Gen.Select(Gen.Byte.Array[0, 40], Gen.Int[0, 300]).Sample((bytes, limit) =>
        {
            var buffer = new ReadOnlySequence<byte>(bytes);
            var taken = 0L;
            while (true)
            {
                var before = buffer.Length;
                var status = MqttFrame.TryRead(ref buffer, limit, out _, out var body);
                if (status != FrameStatus.Complete)
                {
                    Assert.Equal(before, buffer.Length);
                    break;
                }

                Assert.InRange(body.Length, 0, limit);
                Assert.True(buffer.Length < before);
                taken += before - buffer.Length;
            }

            Assert.InRange(taken, 0, bytes.Length);
        }, iter: 60_000, threads: 1);
    }
}
