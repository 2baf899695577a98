using System.Globalization;
using System.Net;
using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.EdgeAuth;
using Datacake.Streams.Ids;
using Datacake.Streams.Ingest.Publishing;
using Datacake.Streams.Ingest.Quotas;
using Datacake.Streams.Ingest.Webhooks;
using Datacake.Streams.RecordLog;
using Datacake.Streams.Records;
using Datacake.Streams.UnitTests.Core.Access;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Datacake.Streams.UnitTests.Ingest.Webhooks;

/// <summary>
/// The webhook handler called in process with a <see cref="DefaultHttpContext"/>: a registry with one webhook per
/// kind (plus a signed, a disabled and a second TTS webhook), devices bound to them, and an in-memory log to count
/// what was appended. Integration tests do the same through Kestrel and FasterLog.
/// </summary>
internal sealed class WebhookRig
{
    public const string Workspace = "ws_rig";
    public static readonly byte[] SigningSecret = Encoding.UTF8.GetBytes("rig-standard-webhooks-secret-32b");

    private readonly WebhookIngestHandler _handler;
    private readonly AdapterKeyring _keyring = AdapterKeyring.CreateRandom();

    public WebhookRig(IRecordLog? log = null, WebhookIngestOptions? options = null, FailedAuthenticationOptions? failures = null, IngestQuotaOptions? quota = null)
    {
        Options = options ?? new WebhookIngestOptions();
        Log = log ?? new InMemoryRecordLog(partitions: 1);
        Registry = new RegistryView(Clock);
        Registry.Apply(new WorkspaceUpserted(new WorkspaceEntry(Workspace, null)));
        Registry.Apply(new DeviceUpserted(new DeviceEntry { Id = TtsDevice, WorkspaceId = Workspace, DevEui = Eui("70B3D57ED005A1B2") }));
        Registry.Apply(new DeviceUpserted(new DeviceEntry { Id = TtsMinimalDevice, WorkspaceId = Workspace, DevEui = Eui("70B3D57ED005A1B3") }));
        Registry.Apply(new DeviceUpserted(new DeviceEntry { Id = ChirpStackDevice, WorkspaceId = Workspace, DevEui = Eui("A84041000181C0DE") }));
        Registry.Apply(new DeviceUpserted(new DeviceEntry { Id = HeliumDevice, WorkspaceId = Workspace, DevEui = Eui("6081F9A3B5D7E9F1") }));
        Registry.Apply(new DeviceUpserted(new DeviceEntry { Id = ParticleDevice, WorkspaceId = Workspace, ParticleId = "e00fce68a1b2c3d4e5f6a7b8" }));
        Registry.Apply(new DeviceUpserted(new DeviceEntry { Id = OtherTtsDevice, WorkspaceId = Workspace, DevEui = Eui("70B3D57ED005A1B4") }));
        Add("wh_tts", WebhookKind.Tts, TtsToken, [TtsDevice, TtsMinimalDevice]);
        Add("wh_chirpstack", WebhookKind.ChirpStack, ChirpStackToken, [ChirpStackDevice]);
        Add("wh_helium", WebhookKind.Helium, HeliumToken, [HeliumDevice]);
        Add("wh_particle", WebhookKind.Particle, ParticleToken, [ParticleDevice]);
        Add("wh_signed", WebhookKind.Tts, SignedToken, [TtsDevice], SigningSecret);
        Add("wh_other", WebhookKind.Tts, OtherToken, [OtherTtsDevice]);
        Add("wh_disabled", WebhookKind.Tts, DisabledToken, [TtsDevice], disabledAt: Clock.GetUtcNow().AddDays(-1));
        Failures = new FailedAuthenticationBudget(Clock, failures ?? new FailedAuthenticationOptions());
        _handler = new WebhookIngestHandler(
            Registry, new RawRecordAppender(Log, new AdapterSigner(_keyring)), Failures,
            new WorkspaceIngestQuota(Registry, Clock, Microsoft.Extensions.Options.Options.Create(quota ?? new IngestQuotaOptions())), Clock,
            Microsoft.Extensions.Options.Options.Create(Options), NullLogger<WebhookIngestHandler>.Instance);
        Consumer = Log.Subscribe(LogTopics.Raw, "rig", StartPosition.Earliest);
    }

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2024, 5, 14, 9, 41, 30, TimeSpan.Zero));

    public WebhookIngestOptions Options { get; }

    public IRecordLog Log { get; }

    public IRecordLogConsumer Consumer { get; }

    public RegistryView Registry { get; }

    public FailedAuthenticationBudget Failures { get; }

    public DeviceId TtsDevice { get; } = DeviceId.New();

    public DeviceId TtsMinimalDevice { get; } = DeviceId.New();

    public DeviceId ChirpStackDevice { get; } = DeviceId.New();

    public DeviceId HeliumDevice { get; } = DeviceId.New();

    public DeviceId ParticleDevice { get; } = DeviceId.New();

    public DeviceId OtherTtsDevice { get; } = DeviceId.New();

    public AccessToken TtsToken { get; } = AccessToken.New();

    public AccessToken ChirpStackToken { get; } = AccessToken.New();

    public AccessToken HeliumToken { get; } = AccessToken.New();

    public AccessToken ParticleToken { get; } = AccessToken.New();

    public AccessToken SignedToken { get; } = AccessToken.New();

    public AccessToken OtherToken { get; } = AccessToken.New();

    public AccessToken DisabledToken { get; } = AccessToken.New();

    public IPAddress ClientAddress { get; set; } = IPAddress.Parse("198.51.100.20");

    public async Task<Reply> PostAsync(
        string webhookId,
        string? token,
        byte[] body,
        string contentType = "application/json",
        string query = "",
        IDictionary<string, string>? headers = null,
        bool bearer = false)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Path = "/v1/webhooks/" + webhookId;
        context.Request.QueryString = new QueryString(query);
        context.Request.ContentType = contentType;
        context.Request.ContentLength = body.Length;
        context.Request.Body = new MemoryStream(body);
        context.Connection.RemoteIpAddress = ClientAddress;
        if (token is not null)
        {
            if (bearer)
            {
                context.Request.Headers.Authorization = "Bearer " + token;
            }
            else
            {
                context.Request.Headers[WebhookIngestHandler.TokenHeader] = token;
            }
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            context.Request.Headers[name] = value;
        }

        var response = new MemoryStream();
        context.Response.Body = response;
        await _handler.HandleAsync(context, webhookId);
        await context.Response.BodyWriter.FlushAsync();
        return new Reply(context.Response.StatusCode, Encoding.UTF8.GetString(response.ToArray()), context.Response.Headers.RetryAfter.ToString());
    }

    public Dictionary<string, string> SignatureHeaders(string messageId, byte[] body, DateTimeOffset? at = null, byte[]? secret = null)
    {
        var stamp = (at ?? Clock.GetUtcNow()).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return new()
        {
            [StandardWebhookSignature.IdHeader] = messageId,
            [StandardWebhookSignature.TimestampHeader] = stamp,
            [StandardWebhookSignature.SignatureHeader] = StandardWebhookSignature.Sign(secret ?? SigningSecret, messageId, stamp, body),
        };
    }

    /// <summary>Every raw record appended so far, decoded.</summary>
    public List<(RawRecord Record, byte[] Bytes)> Appended()
    {
        var records = new List<(RawRecord, byte[])>();
        while (Consumer.Consume(TimeSpan.Zero) is { } next)
        {
            Assert.True(RawRecordCodec.TryDecode(next.Value, out var record, out var error), error.ToString());
            Assert.True(new AdapterSigner(_keyring).Verify(next.Value.Span, record));
            records.Add((record, next.Value.ToArray()));
        }

        return records;
    }

    private void Add(string id, WebhookKind kind, AccessToken token, DeviceId[] devices, byte[]? secret = null, DateTimeOffset? disabledAt = null) =>
        Registry.Apply(new WebhookUpserted(new WebhookGrant
        {
            WebhookId = id,
            WorkspaceId = Workspace,
            Kind = kind,
            TokenHash = token.Hash,
            Devices = new HashSet<DeviceId>(devices),
            SigningSecret = secret is null ? (ReadOnlyMemory<byte>?)null : secret,
            DisabledAt = disabledAt,
        }));

    private static DevEui Eui(string hex) => DevEui.TryParse(hex, out var eui) ? eui : throw new ArgumentException(hex);

    public sealed record Reply(int Status, string Body, string RetryAfter);
}
