using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using static Datacake.Streams.IntegrationTests.EndToEnd.UplinkBodies;

namespace Datacake.Streams.IntegrationTests.EndToEnd;

/// <summary>
/// Issue 16, attacks 2 and 3, through the real executable: a second tenant's values and field names land in its own
/// device's measurement, so they can neither make InfluxDB refuse another device's writes (a field type conflict)
/// nor be listed or searched in another device's field look-ups; a device's own names stop at the limit
/// (too_many_fields, Processing:MaxFieldNamesPerDevice, 1,000 by default).
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class StorageIsolationTests(EndToEndHost e2e)
{
    [Fact]
    public async Task Another_tenants_string_cannot_make_the_store_refuse_a_devices_numbers()
    {
        var victim = await e2e.NewDeviceAsync("A's boiler");
        var attacker = await e2e.NewOtherTenantsDeviceAsync("B's probe");
        var start = DateTimeOffset.UtcNow.AddMinutes(-2);

        // B goes first into the day's shard with a string under the name A's device uses for numbers.
        await Senders.AcceptedAsync(() => Senders.MeasurementAsync(e2e.Host.Http, attacker, Entry(start, "\"x\"")), "B's string");
        Assert.Equal("x", Assert.Single(await e2e.Influx.WaitForPointsAsync(attacker.Id, 1)).Columns["temperature"].GetString());

        for (var i = 1; i <= 10; i++)
        {
            await Senders.AcceptedAsync(() => Senders.MeasurementAsync(e2e.Host.Http, victim, Entry(start.AddSeconds(i), (20 + (i / 10.0)).ToString(CultureInfo.InvariantCulture))), $"A's reading {i}");
        }

        var stored = await e2e.Influx.WaitForPointsAsync(victim.Id, 10);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => 20 + (i / 10.0)).ToArray(), stored.Select(p => p.Number("temperature")).ToArray());

        // A type conflict now only ever involves the device's own values: A's own string is refused with a reason.
        await Senders.AcceptedAsync(() => Senders.MeasurementAsync(e2e.Host.Http, victim, Entry(start.AddSeconds(11), "\"warm\"")), "A's own string");
        var letter = Assert.Single(await e2e.WaitForDeadLettersAsync(victim.Id, 1));
        Assert.Equal("rejected_by_store", letter.Reason);
        Assert.Contains("temperature", letter.Message, StringComparison.Ordinal);

        var series = await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/devices/{victim.Id}/series?fields=temperature&from={Uri.EscapeDataString(Rfc3339(start))}&to={Uri.EscapeDataString(Rfc3339(start.AddMinutes(1)))}", e2e.OwnerToken);
        Assert.Equal(10, series.Json.GetProperty("series")[0].GetProperty("points").GetArrayLength());
        Assert.Equal(10, (await e2e.Influx.PointsAsync(victim.Id)).Count);
        Assert.Empty(e2e.DeadLettersOf(attacker.Id));
    }

    [Fact]
    public async Task Another_tenants_field_names_are_not_the_devices_and_a_device_stops_at_its_limit()
    {
        var victim = await e2e.NewDeviceAsync("A's meter");
        var attacker = await e2e.NewOtherTenantsDeviceAsync("B's name flood");
        var start = DateTimeOffset.UtcNow.AddMinutes(-3);

        // 1,000 names (10 records of the 100 fields a point may carry): exactly the default limit, all stored.
        for (var r = 0; r < 10; r++)
        {
            var fields = string.Join(',', Enumerable.Range(0, 100).Select(i => $"\"n{r}_{i}\":{i}"));
            var record = r;
            await Senders.AcceptedAsync(() => Senders.MeasurementAsync(e2e.Host.Http, attacker, $"[{{\"time\":\"{Rfc3339(start.AddSeconds(record))}\",\"values\":{{{fields}}}}}]"), $"B's names {r}");
        }

        await Senders.AcceptedAsync(() => Senders.MeasurementAsync(e2e.Host.Http, attacker, $"[{{\"time\":\"{Rfc3339(start.AddSeconds(20))}\",\"values\":{{\"n0_0\":1,\"one_more\":2}}}}]"), "B's 1,001st name");
        await Senders.AcceptedAsync(() => Senders.MeasurementAsync(e2e.Host.Http, victim, $"[{{\"time\":\"{Rfc3339(start.AddSeconds(30))}\",\"values\":{{\"temperature\":21.5,\"humidity\":40}}}}]"), "A's reading");

        Assert.Equal(10, (await e2e.Influx.WaitForPointsAsync(attacker.Id, 10)).Count);
        var letter = Assert.Single(await e2e.WaitForDeadLettersAsync(attacker.Id, 1));
        Assert.Equal("too_many_fields", letter.Reason);
        Assert.Contains("1000 distinct field names stored and this record adds 1; the limit is 1000", letter.Message, StringComparison.Ordinal);
        Assert.Equal(1_000, (await e2e.Influx.FieldKeysAsync(attacker.Id)).Count);

        // A's look-ups see A's two names only, whatever B stored.
        Assert.Single(await e2e.Influx.WaitForPointsAsync(victim.Id, 1));
        Assert.Equal(["humidity", "temperature"], (await e2e.Influx.FieldKeysAsync(victim.Id)).Order(StringComparer.Ordinal).ToArray());
        var last = await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/devices/{victim.Id}/last", e2e.OwnerToken);
        Assert.Equal(["humidity", "temperature"], last.Json.GetProperty("values").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray());
        var series = await e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, $"/v1/devices/{victim.Id}/series?from={Uri.EscapeDataString(Rfc3339(start))}&to={Uri.EscapeDataString(Rfc3339(start.AddMinutes(1)))}", e2e.OwnerToken);
        Assert.Equal(["humidity", "temperature"], series.Json.GetProperty("series")[0].GetProperty("fields").EnumerateArray().Select(f => f.GetString()!).ToArray());
    }

    private static string Entry(DateTimeOffset time, string temperature) =>
        $"[{{\"time\":\"{Rfc3339(time)}\",\"values\":{{\"temperature\":{temperature}}}}}]";
}
