using System.Globalization;
using System.Net;
using System.Text;
using static Datacake.Streams.IntegrationTests.EndToEnd.UplinkBodies;

namespace Datacake.Streams.IntegrationTests.EndToEnd;

/// <summary>
/// The start-up step of issue 16's migration, through the real executable: points a node of the layout before wrote
/// (measurement <c>values</c> for every device) are moved into the device's own measurement when the node starts,
/// and the API answers them.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class LayoutMigrationAtStartTests(EndToEndHost e2e)
{
    [Fact]
    public async Task A_database_of_the_layout_before_is_moved_at_start_and_its_points_answer()
    {
        var device = await e2e.NewDeviceAsync("written before the upgrade");
        var start = DateTimeOffset.UtcNow.AddHours(-2);
        var lines = new StringBuilder();
        for (var i = 0; i < 12; i++)
        {
            var ns = (start.AddMinutes(i) - DateTimeOffset.UnixEpoch).Ticks * 100;
            lines.Append(CultureInfo.InvariantCulture, $"values,device={device.Id} temperature={20 + i}.25 {ns}\n");
        }

        await e2e.Influx.WriteAsync("raw", lines.ToString());
        await e2e.RestartAsync();

        var path = $"/v1/devices/{device.Id}/series?fields=temperature&from={Uri.EscapeDataString(Rfc3339(start))}&to={Uri.EscapeDataString(Rfc3339(start.AddHours(1)))}";
        var answer = await Until.Async(() => e2e.Api.ExpectAsync(HttpStatusCode.OK, HttpMethod.Get, path, e2e.OwnerToken),
            r => r.Json.GetProperty("series")[0].GetProperty("points").GetArrayLength() == 12, "the points written before, answered after the move");
        Assert.Equal(
            Enumerable.Range(0, 12).Select(i => 20 + i + 0.25).ToArray(),
            answer.Json.GetProperty("series")[0].GetProperty("points").EnumerateArray().Select(p => p.GetProperty("values").GetProperty("temperature").GetDouble()).ToArray());
        await Until.Async(() => e2e.Influx.MeasurementsAsync(), m => !m.Contains("values"), "the legacy measurement dropped");
        Assert.Equal(12, (await e2e.Influx.PointsAsync(device.Id)).Count);
    }
}
