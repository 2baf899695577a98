using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.Records;
using Datacake.Streams.Payloads.DeadLetters;

namespace Datacake.Streams.UnitTests.Processing;

public sealed class EnvelopeCheckTests
{
    private readonly AdapterSigner _signer = new(AdapterKeyring.CreateRandom());
    private readonly RegistryView _registry = new();
    private readonly DeviceId _device = DeviceId.New();
    private readonly TokenHash _token = TokenHash.Of(AccessToken.New().Secret);

    public EnvelopeCheckTests()
    {
        _registry.Apply(new WorkspaceUpserted(new WorkspaceEntry("ws", null)));
        _registry.Apply(new DeviceUpserted(new DeviceEntry { Id = _device, WorkspaceId = "ws" }));
        _registry.Apply(new TokenUpserted(new TokenGrant
        {
            TokenId = "t1",
            Hash = _token,
            Devices = [new DeviceGrant(_device, DeviceAccess.ReadWrite)],
            RevokedAt = ProcessingRecords.Now,
        }));
    }

    private PipelineRecord Check(byte[] bytes)
    {
        var record = ProcessingRecords.Raw(bytes, 0);
        new EnvelopeCheck(_signer, _registry).Check(record);
        return record;
    }

    private PipelineRecord Check(RawRecord raw) => Check(_signer.EncodeSigned(raw));

    private RawRecord Valid => ProcessingRecords.Json(_device, """{"t":1}""", _token) with { ReceivedAtUnixNs = ProcessingRecords.Ns(ProcessingRecords.Now.AddSeconds(-1)) };

    [Fact]
    public void A_signed_record_of_a_valid_token_for_its_device_passes()
    {
        var record = Check(Valid);
        Assert.False(record.IsRejected, record.Detail);
        Assert.True(record.HasEnvelope);
        Assert.Equal(_device, record.Raw.DeviceId);
    }

    [Fact]
    public void Each_failure_has_its_reason()
    {
        Assert.Equal(RejectReason.BadEnvelope, Check([0x08]).Reason);
        Assert.Equal(RejectReason.BadEnvelope, Check(Valid with { Source = (SourceKind)99 }).Reason);
        Assert.Equal(RejectReason.BadEnvelope, Check(Valid with { PayloadKind = PayloadKind.Unspecified }).Reason);
        Assert.Equal(RejectReason.BadEnvelope, Check(Valid with { CredentialKind = (CredentialKind)7 }).Reason);

        var tampered = _signer.EncodeSigned(Valid);
        tampered[^40] ^= 0x01;
        Assert.Equal(RejectReason.BadSignature, Check(tampered).Reason);
        Assert.Equal(RejectReason.BadSignature, Check(new AdapterSigner(AdapterKeyring.CreateRandom()).EncodeSigned(Valid)).Reason);

        Assert.Equal(RejectReason.UnknownCredential, Check(Valid with { Credential = TokenHash.Of(AccessToken.New().Secret) }).Reason);
        Assert.Equal(RejectReason.NotAuthorized, Check(Valid with { DeviceId = DeviceId.New() }).Reason);

        // Revoked at Now: a record received after it is refused, one received before passes.
        var late = Check(Valid with { ReceivedAtUnixNs = ProcessingRecords.Ns(ProcessingRecords.Now.AddSeconds(1)) });
        Assert.Equal(RejectReason.NotAuthorized, late.Reason);
        Assert.Contains("revoked", late.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_webhook_record_must_come_through_the_webhook_its_credential_belongs_to()
    {
        var hookToken = TokenHash.Of(AccessToken.New().Secret);
        _registry.Apply(new WebhookUpserted(new WebhookGrant { WebhookId = "wh1", WorkspaceId = "ws", Kind = WebhookKind.Tts, TokenHash = hookToken, Devices = new HashSet<DeviceId> { _device } }));
        var viaWebhook = Valid with { Credential = hookToken, CredentialKind = CredentialKind.Webhook, RouteId = "wh1" };
        Assert.False(Check(viaWebhook).IsRejected);
        Assert.Equal(RejectReason.UnknownCredential, Check(viaWebhook with { RouteId = "wh-other" }).Reason);
    }
}
