using System.Globalization;
using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.IntegrationTests.Services;
using Datacake.Streams.Records;

namespace Datacake.Streams.IntegrationTests.Resilience;

/// <summary>
/// The scaled-out tests' data: uniquely numbered values (field v = n) of a workspace's devices, appended to dcs.raw
/// as an ingest node would, each at its own point time, so that InfluxDB holding every n once is the proof.
/// </summary>
internal static class NumberedValues
{
    /// <summary>The shared influxd with a database of the test's own (created by the processing node's first write).</summary>
    public static async Task<InfluxOptions> SharedInfluxAsync(string database)
    {
        var endpoints = ServiceEndpoints.Current;
        var options = new InfluxOptions
        {
            Url = new Uri(endpoints.InfluxUrl),
            Database = database,
            User = endpoints.InfluxUser,
            Password = endpoints.InfluxPassword,
            MaxRetries = 0,
            RequestTimeout = TimeSpan.FromSeconds(30),
        };
        using var probe = new InfluxClient(options);
        try
        {
            await probe.PingAsync();
        }
        catch (InfluxException e)
        {
            throw new InvalidOperationException($"influxd at {options.Url} is not answering ({e.Message}): {ServiceEndpoints.StartHint}", e);
        }

        return options;
    }

    /// <summary>One workspace, <paramref name="count"/> devices and one device token that may write all of them, published as the api role would.</summary>
    public static async Task<(DeviceId[] Devices, TokenHash Token)> RegisterAsync(RegistryPublisher registry, string workspace, int count)
    {
        await registry.PublishAsync(new WorkspaceUpserted(new WorkspaceEntry(workspace, null)));
        var devices = Enumerable.Range(0, count).Select(_ => DeviceId.New()).ToArray();
        await Task.WhenAll(devices.Select(d => registry.PublishAsync(new DeviceUpserted(new DeviceEntry { Id = d, WorkspaceId = workspace })).AsTask()));

        var token = TokenHash.Of(AccessToken.New().Secret);
        await registry.PublishAsync(new TokenUpserted(new TokenGrant
        {
            TokenId = "tok_" + workspace,
            Hash = token,
            Devices = [.. devices.Select(d => new DeviceGrant(d, DeviceAccess.ReadWrite))],
        }));
        return (devices, token);
    }

    /// <summary>Value <paramref name="value"/> of <paramref name="device"/>, received at base + value ms (distinct point times).</summary>
    public static RawRecord Record(int value, DeviceId device, TokenHash token, DateTimeOffset baseTime) => new()
    {
        Version = RawRecord.CurrentVersion,
        DeviceId = device,
        Source = SourceKind.Http,
        ReceivedAtUnixNs = (baseTime - DateTimeOffset.UnixEpoch).Ticks * 100 + (value * 1_000_000L),
        MessageId = "v" + value.ToString(CultureInfo.InvariantCulture),
        PayloadKind = PayloadKind.JsonValues,
        Payload = Encoding.UTF8.GetBytes("{\"v\":" + value.ToString(CultureInfo.InvariantCulture) + "}"),
        Credential = token,
        CredentialKind = CredentialKind.Token,
    };
}
