using System.Net;
using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Ingest.Webhooks;
using Datacake.Streams.IntegrationTests.Core.RecordLog;
using Datacake.Streams.IntegrationTests.Log.Faster;
using Datacake.Streams.IntegrationTests.Log.Kafka;
using Datacake.Streams.RecordLog.Faster;
using Datacake.Streams.RecordLog;
using Datacake.Streams.Records;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Datacake.Streams.TestSupport;

namespace Datacake.Streams.IntegrationTests.Ingest.Webhooks;

/// <summary>
/// Webhook ingest on real Kestrel (a free loopback port) over a real FasterLog on disk, with the registry fed from
/// <c>dcs.registry</c> by a <see cref="RegistryFeed"/> exactly as the host wires it: tests publish webhooks and devices
/// as registry changes and read what landed on <c>dcs.raw</c>.
/// </summary>
internal sealed class WebhookIngestServer : IAsyncDisposable
{
    public const string Workspace = "ws_webhook_it";

    private readonly TempLogDirectory _directory = new();
    private readonly RegistrySecretSealer _sealer = new(System.Security.Cryptography.RandomNumberGenerator.GetBytes(RegistrySecretSealer.KeyLength));
    private readonly List<IRecordLogConsumer> _consumers = [];
    private WebApplication? _app;
    private RegistryFeed? _feed;

    private WebhookIngestServer()
    {
    }

    public FasterRecordLog Log { get; private set; } = null!;

    public RegistryPublisher Publisher { get; private set; } = null!;

    public AdapterKeyring Keyring { get; } = AdapterKeyring.CreateRandom();

    public HttpClient Http { get; private set; } = null!;

    /// <summary>Exceptions that escaped request handling (each was a 500).</summary>
    public System.Collections.Concurrent.ConcurrentQueue<Exception> Errors { get; } = new();

    public Uri BaseAddress { get; private set; } = null!;

    public static async Task<WebhookIngestServer> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var server = new WebhookIngestServer();
        server.Log = await FasterRecordLog.OpenAsync(new FasterRecordLogOptions { DataDirectory = server._directory.Path });

        // Signing secrets travel sealed with the registry key: publisher and feed share one, as nodes of a cluster do.
        var codec = TestRegistry.Codec(server._sealer);
        server.Publisher = new RegistryPublisher(server.Log, codec);
        var view = new RegistryView();
        server._feed = new RegistryFeed(server.Log, view, codec, new RegistryFeedOptions { PollTimeout = TimeSpan.FromMilliseconds(20) });
        await server._feed.StartAsync();

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IRecordLog>(server.Log);
        builder.Services.AddSingleton(new AdapterSigner(server.Keyring));
        builder.Services.AddSingleton(view);
        builder.Services.AddWebhookIngest();
        var app = builder.Build();

        // An exception escaping the handler is a 500 to the client; keep it so a test can say which one it was.
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (Exception e)
            {
                server.Errors.Enqueue(e);
                throw;
            }
        });
        app.MapWebhookIngestApi();
        await app.StartAsync();
        server._app = app;

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server.BaseAddress = new Uri(address);
        server.Http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        await server.PublishAsync(new WorkspaceUpserted(new WorkspaceEntry(Workspace, null)));
        return server;
    }

    /// <summary>Publishes a change and waits until the ingest node's view applied it (read-your-writes).</summary>
    public async Task PublishAsync(RegistryChange change)
    {
        var position = await Publisher.PublishAsync(change);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _feed!.WaitForAsync(position, deadline.Token);
    }

    public async Task<DeviceId> AddDeviceAsync(string? devEui = null, string? particleId = null)
    {
        var id = DeviceId.New();
        DevEui? eui = devEui is null ? null : DevEui.TryParse(devEui, out var parsed) ? parsed : throw new ArgumentException(devEui);
        await PublishAsync(new DeviceUpserted(new DeviceEntry { Id = id, WorkspaceId = Workspace, DevEui = eui, ParticleId = particleId }));
        return id;
    }

    public async Task<AccessToken> AddWebhookAsync(string webhookId, WebhookKind kind, DeviceId[] devices, byte[]? signingSecret = null)
    {
        var token = AccessToken.New();
        await PublishAsync(new WebhookUpserted(new WebhookGrant
        {
            WebhookId = webhookId,
            WorkspaceId = Workspace,
            Kind = kind,
            TokenHash = token.Hash,
            Devices = new HashSet<DeviceId>(devices),
            SigningSecret = signingSecret is null ? (ReadOnlyMemory<byte>?)null : signingSecret,
        }));
        return token;
    }

    /// <summary>A reader of <c>dcs.raw</c> from its start, in a group of its own.</summary>
    public RawReader ReadRaw()
    {
        var consumer = Log.Subscribe(LogTopics.Raw, "webhook-it-" + Guid.NewGuid().ToString("N"), StartPosition.Earliest);
        _consumers.Add(consumer);
        return new RawReader(consumer, new AdapterSigner(Keyring));
    }

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        foreach (var consumer in _consumers)
        {
            consumer.Dispose();
        }

        if (_feed is not null)
        {
            await _feed.DisposeAsync();
        }

        await Log.DisposeAsync();
        _sealer.Dispose();
        _directory.Dispose();
    }

    /// <summary>Decodes and verifies raw records as a processor would.</summary>
    internal sealed class RawReader(IRecordLogConsumer consumer, AdapterSigner signer)
    {
        /// <summary>The next record, waiting up to <paramref name="deadline"/>; null if none arrived.</summary>
        public (RawRecord Record, byte[] Bytes)? Next(TimeSpan deadline)
        {
            var until = DateTime.UtcNow + deadline;
            do
            {
                if (consumer.Consume(TimeSpan.FromMilliseconds(50)) is { } next)
                {
                    Assert.True(RawRecordCodec.TryDecode(next.Value, out var record, out var error), error.ToString());
                    Assert.True(signer.Verify(next.Value.Span, record), "the adapter signature does not verify");
                    return (record, next.Value.ToArray());
                }
            }
            while (DateTime.UtcNow < until);

            return null;
        }

        /// <summary>
        /// Appends complete before the reply, so after a refusal anything appended would already be readable; the
        /// short wait only covers the reader's own poll.
        /// </summary>
        public void AssertNothingMore() => Assert.Null(Next(TimeSpan.FromMilliseconds(300)));
    }
}
