using Datacake.Streams.Api.DeadLetters;
using Datacake.Streams.Ids;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.UnitTests.Api.DeadLetters;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DeadLetterIndexTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_devices_letters_come_newest_first_up_to_the_limit()
    {
        var index = Index(new DeadLetterOptions());
        var device = DeviceId.New();
        for (var i = 0; i < 5; i++)
        {
            index.Add(device, "ws", Letter(i));
        }

        Assert.Equal(["4", "3", "2", "1", "0"], index.Newest(device, 50).Select(l => l.Detail));
        Assert.Equal(["4", "3"], index.Newest(device, 2).Select(l => l.Detail));
        Assert.Empty(index.Newest(DeviceId.New(), 50));
    }

    [Fact]
    public void A_flooding_device_replaces_only_its_own_oldest_letters()
    {
        var index = Index(new DeadLetterOptions { PerDevice = 3 });
        var quiet = DeviceId.New();
        var noisy = DeviceId.New();
        index.Add(quiet, "a", Letter(0));
        for (var i = 0; i < 10_000; i++)
        {
            index.Add(noisy, "b", Letter(i));
        }

        Assert.Equal(["9999", "9998", "9997"], index.Newest(noisy, 50).Select(l => l.Detail));
        Assert.Equal(["0"], index.Newest(quiet, 50).Select(l => l.Detail));
        Assert.Equal(0, index.EvictedDevices);

        // Its memory stayed that of three letters: the bytes of letters that left were given back.
        var same = Index(new DeadLetterOptions { PerDevice = 3 });
        same.Add(DeviceId.New(), "a", Letter(0));
        var other = DeviceId.New();
        for (var i = 9997; i < 10_000; i++)
        {
            same.Add(other, "b", Letter(i));
        }

        Assert.Equal(same.Bytes, index.Bytes);
    }

    [Fact]
    public void Over_the_device_cap_the_least_recently_written_device_is_forgotten_whole()
    {
        var index = Index(new DeadLetterOptions { MaxDevices = 3, MaxDevicesPerWorkspace = 3 });
        DeviceId a = DeviceId.New(), b = DeviceId.New(), c = DeviceId.New(), d = DeviceId.New();
        index.Add(a, "ws1", Letter(0));
        index.Add(a, "ws1", Letter(1));
        index.Add(b, "ws2", Letter(2));
        index.Add(c, "ws3", Letter(3));
        index.Add(a, "ws1", Letter(4));
        index.Add(d, "ws4", Letter(5));

        Assert.Empty(index.Newest(b, 50));
        Assert.Equal(["4", "1", "0"], index.Newest(a, 50).Select(l => l.Detail));
        Assert.Single(index.Newest(c, 50));
        Assert.Single(index.Newest(d, 50));
        Assert.Equal(3, index.DeviceCount);
        Assert.Equal(1, index.EvictedDevices);
    }

    [Fact]
    public void A_workspace_flooding_many_devices_evicts_only_its_own()
    {
        var index = Index(new DeadLetterOptions { MaxDevices = 100, MaxDevicesPerWorkspace = 10 });
        var victims = Enumerable.Range(0, 50).Select(_ => DeviceId.New()).ToList();
        foreach (var (victim, i) in victims.Select((v, i) => (v, i)))
        {
            index.Add(victim, "victim-" + (i % 5), Letter(i));
        }

        var flood = Enumerable.Range(0, 5_000).Select(_ => DeviceId.New()).ToList();
        foreach (var device in flood)
        {
            index.Add(device, "attacker", Letter(1));
        }

        Assert.All(victims, v => Assert.Single(index.Newest(v, 50)));
        Assert.Equal(10, flood.Count(d => index.Newest(d, 1).Count == 1));
        Assert.All(flood.TakeLast(10), d => Assert.Single(index.Newest(d, 1)));
        Assert.Equal(60, index.DeviceCount);
    }

    [Fact]
    public void Memory_stays_under_the_byte_cap_by_forgetting_the_least_recently_written_devices()
    {
        var options = new DeadLetterOptions { PerDevice = 10, MaxPayloadBytes = 1_024 };
        options = options with { MaxBytes = options.DeviceBytes * 3 };
        Assert.True(new DeadLetterOptionsValidator().Validate(null, options).Succeeded);
        var index = Index(options);
        var devices = Enumerable.Range(0, 40).Select(_ => DeviceId.New()).ToList();
        foreach (var device in devices)
        {
            for (var i = 0; i < 10; i++)
            {
                index.Add(device, Guid.NewGuid().ToString(), Letter(i, detail: new string('x', 1_024), payload: 1_024));
                Assert.True(index.Bytes <= options.MaxBytes, $"{index.Bytes} bytes held, cap {options.MaxBytes}");
            }
        }

        Assert.InRange(index.DeviceCount, 2, 3);
        Assert.Equal(10, index.Newest(devices[^1], 50).Count);
        Assert.Empty(index.Newest(devices[0], 50));
    }

    [Fact]
    public void The_options_refuse_a_byte_cap_one_device_could_exceed_and_accept_the_defaults()
    {
        var validator = new DeadLetterOptionsValidator();
        Assert.True(validator.Validate(null, new DeadLetterOptions()).Succeeded);
        var defaults = new DeadLetterOptions();
        Assert.True(validator.Validate(null, defaults with { MaxBytes = defaults.DeviceBytes - 1 }).Failed);
        Assert.True(validator.Validate(null, defaults with { PerDevice = 0 }).Failed);
        Assert.True(validator.Validate(null, defaults with { MaxDevicesPerWorkspace = defaults.MaxDevices + 1 }).Failed);
        Assert.True(validator.Validate(null, defaults with { MaxPayloadBytes = -1 }).Failed);
    }

    private static DeadLetterIndex Index(DeadLetterOptions options) => new(Options.Create(options));

    private static DeadLetterEntry Letter(int n, string? detail = null, int payload = 0) =>
        new("too_old", detail ?? n.ToString(System.Globalization.CultureInfo.InvariantCulture), Start.AddSeconds(n), Start, "http", payload > 0 ? new byte[payload] : null, payload > 0 ? payload : null);
}
