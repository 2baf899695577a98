using System.Security.Cryptography;
using static Datacake.Streams.IntegrationTests.EndToEnd.UplinkBodies;

namespace Datacake.Streams.IntegrationTests.EndToEnd;

/// <summary>
/// LoRaWAN frame counters through the real executable, as docs/PROCESSING.md "Replay guard" states the policy: a
/// 32-bit counter past 16 bits is kept whole, a 16-bit counter (a source configured as one) rolls over into the upper
/// half, and an ABP device's counter starts over only with a new session. Each uplink is sent once the one before it
/// is decided (stored in influxd or dead-lettered in the host's log), so every verdict meets the written state.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class FrameCounterTests(EndToEndHost e2e)
{
    private static readonly Gateway _gateway = new("barn-roof-gw", "B827EBFFFE61A3C4", -90, 5);

    [Fact]
    [Trait("Reliability", "lorawan")]
    public async Task A_TTS_frame_counter_crossing_65535_is_stored_and_a_frame_of_its_low_16_bits_is_a_replay()
    {
        var device = await e2e.NewDeviceAsync("Long-lived probe", devEui: "70B3D57ED00A" + RandomNumberGenerator.GetHexString(4));
        var webhook = await e2e.NewWebhookAsync("tts", signed: false, device);
        const string session = "AR0lLoVeRkQ9s1k8mV7xTz==";
        var start = DateTimeOffset.UtcNow.AddMinutes(-3);

        // 65,534 → 65,537: the 16-bit boundary in the middle; each is a new point (its own time and temperature).
        uint[] rising = [65_534, 65_535, 65_536, 65_537];
        for (var i = 0; i < rising.Length; i++)
        {
            await SendTtsAsync(webhook, device, session, rising[i], start.AddSeconds(i), temperature: 10 + i);
            await e2e.Influx.WaitForPointsAsync(device.Id, i + 1);
        }

        // Frame 1 is 65,537's low 16 bits: a guard that compared 16 bits would take it for the next frame.
        await SendTtsAsync(webhook, device, session, 1, start.AddSeconds(10), temperature: 99);
        var (reason, detail) = Assert.Single(await e2e.WaitForDeadLettersAsync(device.Id, 1));
        Assert.Equal("replayed", reason);
        Assert.Contains("frame counter 1", detail, StringComparison.Ordinal);

        await SendTtsAsync(webhook, device, session, 65_538, start.AddSeconds(11), temperature: 20);
        var points = await e2e.Influx.WaitForPointsAsync(device.Id, 5);
        Assert.Equal([10.0, 11, 12, 13, 20], points.OrderBy(p => p.TimeNs).Select(p => p.Number("temperature")));
        Assert.Equal([65_534.0, 65_535, 65_536, 65_537, 65_538], (await e2e.Influx.WaitForPointsAsync(device.Id, 5, "meta")).OrderBy(p => p.TimeNs).Select(p => p.Number("f_cnt")));
        Assert.Single(e2e.DeadLettersOf(device.Id));
    }

    [Fact]
    [Trait("Reliability", "lorawan")]
    public async Task An_ABP_counter_reset_is_a_replay_in_its_session_and_a_fresh_start_in_a_new_session_the_old_one_cannot_come_back()
    {
        var device = await e2e.NewDeviceAsync("ABP meter", devEui: "70B3D57ED00B" + RandomNumberGenerator.GetHexString(4));
        var webhook = await e2e.NewWebhookAsync("tts", signed: false, device);

        // ABP: the session keys are provisioned, not joined, so session_key_id stays until someone provisions new ones.
        const string provisioned = "AbPpRoViSiOnEd1k8mV7xT==";
        const string reprovisioned = "AbPrEpRoViSiOnEdmV7xT0==";
        var start = DateTimeOffset.UtcNow.AddMinutes(-4);
        await SendTtsAsync(webhook, device, provisioned, 1_000, start, temperature: 1);
        await e2e.Influx.WaitForPointsAsync(device.Id, 1);
        await SendTtsAsync(webhook, device, provisioned, 1_001, start.AddSeconds(1), temperature: 2);
        await e2e.Influx.WaitForPointsAsync(device.Id, 2);

        // The meter reboots and counts from 0 again in the same session: the guard cannot tell that from a recorded
        // frame sent again, so it is refused (LoRaWAN: an ABP device keeps its counters across resets).
        await SendTtsAsync(webhook, device, provisioned, 0, start.AddSeconds(2), temperature: 3);
        await e2e.WaitForDeadLettersAsync(device.Id, 1);
        await SendTtsAsync(webhook, device, provisioned, 1, start.AddSeconds(3), temperature: 4);
        var reset = await e2e.WaitForDeadLettersAsync(device.Id, 2);
        Assert.All(reset, l => Assert.Equal("replayed", l.Reason));

        // Provisioned again (new keys, a new session_key_id): the counter starts over and is stored.
        await SendTtsAsync(webhook, device, reprovisioned, 0, start.AddSeconds(4), temperature: 5);
        await e2e.Influx.WaitForPointsAsync(device.Id, 3);
        await SendTtsAsync(webhook, device, reprovisioned, 1, start.AddSeconds(5), temperature: 6);
        await e2e.Influx.WaitForPointsAsync(device.Id, 4);

        // A frame of the session the device left, even one ahead of its last counter there, is a replay.
        await SendTtsAsync(webhook, device, provisioned, 1_002, start.AddSeconds(6), temperature: 7);
        var letters = await e2e.WaitForDeadLettersAsync(device.Id, 3);
        Assert.Equal("replayed", letters[2].Reason);
        Assert.Contains("frame counter 1002", letters[2].Message, StringComparison.Ordinal);

        await SendTtsAsync(webhook, device, reprovisioned, 2, start.AddSeconds(7), temperature: 8);
        var points = await e2e.Influx.WaitForPointsAsync(device.Id, 5);
        Assert.Equal([1.0, 2, 5, 6, 8], points.OrderBy(p => p.TimeNs).Select(p => p.Number("temperature")));
        Assert.Equal(3, e2e.DeadLettersOf(device.Id).Count);
    }

    [Fact]
    [Trait("Reliability", "lorawan")]
    public async Task A_16_bit_counter_wraps_from_65535_to_0_and_is_stored_and_a_frame_from_before_the_wrap_is_a_replay()
    {
        // A source whose counter arrives as 16 bits, as Processing:Replay:SixteenBitCounterSources names it.
        await e2e.RestartAsync(new Dictionary<string, string> { ["Processing__Replay__SixteenBitCounterSources__0"] = "ChirpStack" });
        try
        {
            var device = await e2e.NewDeviceAsync("Sixteen-bit probe", devEui: "A8404100018A" + RandomNumberGenerator.GetHexString(4));
            var webhook = await e2e.NewWebhookAsync("chirpstack", signed: false, device);
            const string devAddr = "01fe9a4d";
            var start = DateTimeOffset.UtcNow.AddMinutes(-3);

            uint[] wrapping = [65_534, 65_535, 0, 1];
            for (var i = 0; i < wrapping.Length; i++)
            {
                await SendChirpStackAsync(webhook, device, devAddr, wrapping[i], start.AddSeconds(i), temperature: 10 + i);
                await e2e.Influx.WaitForPointsAsync(device.Id, i + 1);
            }

            // Now at 65,537 (0x1_0001): 65,535 is a frame from before the wrap, not a second rollover.
            await SendChirpStackAsync(webhook, device, devAddr, 65_535, start.AddSeconds(10), temperature: 98);
            await e2e.WaitForDeadLettersAsync(device.Id, 1);

            // 30,000 would be 29,999 frames lost, more than MaxFrameCounterGap (16,384): a replay of an older frame.
            await SendChirpStackAsync(webhook, device, devAddr, 30_000, start.AddSeconds(11), temperature: 99);
            var letters = await e2e.WaitForDeadLettersAsync(device.Id, 2);
            Assert.All(letters, l => Assert.Equal("replayed", l.Reason));

            await SendChirpStackAsync(webhook, device, devAddr, 2, start.AddSeconds(12), temperature: 20);
            var points = await e2e.Influx.WaitForPointsAsync(device.Id, 5);
            Assert.Equal([10.0, 11, 12, 13, 20], points.OrderBy(p => p.TimeNs).Select(p => p.Number("temperature")));
            Assert.Equal(2, e2e.DeadLettersOf(device.Id).Count);
        }
        finally
        {
            // The other end-to-end tests run on the default configuration (every source 32 bits).
            await e2e.RestartAsync();
        }
    }

    // Until a 202: the first send of a test may reach ingest before the new webhook does (dcs.registry).
    private Task SendTtsAsync(TestWebhook webhook, TestDevice device, string session, uint frameCounter, DateTimeOffset time, double temperature) =>
        Senders.AcceptedAsync(() => Senders.WebhookAsync(e2e.Host.Http, webhook, Tts(device.DevEui!, session, frameCounter, time, temperature, 50, _gateway)), $"TTS frame {frameCounter}");

    private Task SendChirpStackAsync(TestWebhook webhook, TestDevice device, string devAddr, uint frameCounter, DateTimeOffset time, double temperature)
    {
        // One deduplication id per uplink, made once: a retried send is the same delivery.
        var body = ChirpStackUp(Guid.NewGuid().ToString(), device.DevEui!, devAddr, frameCounter, time, temperature, -80);
        return Senders.AcceptedAsync(() => Senders.WebhookAsync(e2e.Host.Http, webhook, body, "?event=up"), $"ChirpStack frame {frameCounter}");
    }
}
