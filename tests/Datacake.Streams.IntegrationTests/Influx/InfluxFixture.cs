using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.Querying;
using Datacake.Streams.IntegrationTests.Services;

namespace Datacake.Streams.IntegrationTests.Influx;

/// <summary>A fresh database on the real influxd for one test class, dropped afterwards.</summary>
public sealed class InfluxFixture : IAsyncLifetime
{
    public string Database { get; } = $"test_{Guid.NewGuid():N}";

    public InfluxOptions Options { get; private set; } = new();

    public InfluxClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        ServiceEndpoints endpoints = ServiceEndpoints.Current;
        Options = new InfluxOptions
        {
            Url = new Uri(endpoints.InfluxUrl.ToString()!),
            Database = Database,
            User = endpoints.InfluxUser.ToString(),
            Password = endpoints.InfluxPassword.ToString(),
            MaxRetries = 1,
            RetryBaseDelay = TimeSpan.FromMilliseconds(10),
            RetryMaxDelay = TimeSpan.FromMilliseconds(50),
            RequestTimeout = TimeSpan.FromSeconds(20),
        };
        Client = new InfluxClient(Options);
        try
        {
            await Client.PingAsync();
        }
        catch (InfluxException ex)
        {
            throw new InvalidOperationException($"influxd at {Options.Url} is not answering ({ex.Message}): start the services: ops/services.sh up", ex);
        }

        await Client.ExecuteAsync($"CREATE DATABASE {InfluxQl.QuoteIdentifier(Database)}");
    }

    public async Task DisposeAsync()
    {
        if (Client is not null)
        {
            await Client.ExecuteAsync($"DROP DATABASE {InfluxQl.QuoteIdentifier(Database)}");
            Client.Dispose();
        }
    }

    public InfluxClient CreateClient(Func<InfluxOptions, InfluxOptions> change) => new(change(Options));
}
