using Datacake.Streams.Access;
using Datacake.Streams.Ids;
using Datacake.Streams.Records;

namespace Datacake.Streams.Ingest.Bridge;

/// <summary>
/// Turns one message of a bridged broker into a raw anonymous record: checks the size, finds the device the topic or
/// payload names among those the bridge's token may write, and fills in source, receive time, content key and the
/// token's fingerprint. Holds no per-message state: safe from any thread.
/// </summary>
public sealed class BridgeTranslator
{
    private readonly BridgeDefinition _definition;
    private readonly RegistryView _registry;
    private readonly TopicTemplate? _template;
    private readonly JsonPointer? _pointer;
    private readonly DeviceIdentityKind _identity;

    /// <exception cref="ArgumentException">The mapping or token is invalid (the options validator reports these first).</exception>
    public BridgeTranslator(BridgeDefinition definition, RegistryView registry)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentNullException.ThrowIfNull(registry);
        _definition = definition;
        _registry = registry;
        if (!AccessToken.TryValidateFormat(definition.Token))
        {
            // The message names the bridge, never the text given.
            throw new ArgumentException($"{definition}: the token is not a dcs_ token", nameof(definition));
        }

        Credential = TokenHash.Of(definition.Token);
        if (definition.Mapping.Topic is { } topic)
        {
            if (!TopicTemplate.TryParse(topic, out _template, out var error))
            {
                throw new ArgumentException($"{definition}: Mapping:Topic: {error}", nameof(definition));
            }

            _identity = _template!.Identity;
        }
        else
        {
            if (!JsonPointer.TryParse(definition.Mapping.JsonPointer, out _pointer, out var error))
            {
                throw new ArgumentException($"{definition}: Mapping:JsonPointer: {error}", nameof(definition));
            }

            _identity = definition.Mapping.Identity;
        }

        Topics = definition.Topics.Count > 0 ? definition.Topics : [_template!.Filter];
    }

    /// <summary>SHA-256 of the bridge's token: the credential fingerprint of every record.</summary>
    public TokenHash Credential { get; }

    /// <summary>The topic filters to subscribe.</summary>
    public IReadOnlyList<string> Topics { get; }

    /// <summary>Whether the bridge's token is good at <paramref name="at"/> (it may be revoked, or not yet known at start-up).</summary>
    public AuthenticationResult CheckCredential(DateTimeOffset at, out TokenGrant? grant) =>
        _registry.AuthenticateFingerprint(Credential, at, out grant);

    /// <summary>
    /// Builds the record for a message received at <paramref name="receivedAt"/>. Only <see cref="BridgeVerdict.Accepted"/>
    /// sets <paramref name="record"/>. Never throws for bad input.
    /// </summary>
    /// <param name="payload">
    /// The message's payload; the record points into it, so it must stay unchanged until the record is handed to the
    /// log (<see cref="Publishing.RawRecordAppender.StartAppend"/> reads it before it returns).
    /// </param>
    /// <param name="contentKey">Computes the message id; null when the bridge does not deduplicate.</param>
    public BridgeVerdict Translate(string topic, ReadOnlyMemory<byte> payload, DateTimeOffset receivedAt, ContentKey? contentKey, out RawRecord record)
    {
        ArgumentNullException.ThrowIfNull(topic);
        record = default;
        if (payload.Length > _definition.MaxPayloadBytes)
        {
            return BridgeVerdict.PayloadTooLarge;
        }

        if (CheckCredential(receivedAt, out var grant) != AuthenticationResult.Ok)
        {
            return BridgeVerdict.CredentialRefused;
        }

        var bytes = payload.Span;
        DeviceEntry? device;
        if (_template is not null)
        {
            if (!_template.TryMatch(topic, out var range))
            {
                return BridgeVerdict.Unmapped;
            }

            device = Resolve(grant!, topic.AsSpan()[range], receivedAt);
        }
        else
        {
            if (!_pointer!.TryEvaluate(payload, out var identity))
            {
                return BridgeVerdict.Unmapped;
            }

            device = Resolve(grant!, identity, receivedAt);
        }

        if (device is null)
        {
            return BridgeVerdict.UnknownDevice;
        }

        record = new RawRecord
        {
            Version = RawRecord.CurrentVersion,
            DeviceId = device.Id,
            Source = SourceKind.MqttBridge,
            ReceivedAtUnixNs = (receivedAt - DateTimeOffset.UnixEpoch).Ticks * 100,
            MessageId = contentKey?.Of(topic, bytes),
            PayloadKind = KindOf(device, bytes),
            Payload = payload,
            Credential = Credential,
            CredentialKind = CredentialKind.Token,
        };
        return BridgeVerdict.Accepted;
    }

    private DeviceEntry? Resolve(TokenGrant grant, ReadOnlySpan<char> identity, DateTimeOffset at)
    {
        DeviceEntry? device;
        switch (_identity)
        {
            case DeviceIdentityKind.DevEui:
                return DevEui.TryParse(identity, out var eui) && _registry.FindWritableDeviceByDevEui(grant, eui, at, out device) ? device : null;
            case DeviceIdentityKind.Serial:
                return _registry.FindWritableDeviceBySerial(grant, identity, at, out device) ? device : null;
            default:
                return DeviceId.TryParse(identity, out var id) && _registry.CanWrite(grant, id, at) && _registry.TryGetDevice(id, out device)
                    ? device
                    : null;
        }
    }

    private PayloadKind KindOf(DeviceEntry device, ReadOnlySpan<byte> payload) => _definition.Payload switch
    {
        BridgePayload.JsonValues => PayloadKind.JsonValues,
        BridgePayload.RawBytes => PayloadKind.RawBytes,

        // A device with a decoder expects its own bytes, whatever they look like.
        _ when device.DecoderId is { } decoder && !string.Equals(decoder, "json", StringComparison.OrdinalIgnoreCase) => PayloadKind.RawBytes,
        _ => PayloadClassifier.IsJsonValues(payload) ? PayloadKind.JsonValues : PayloadKind.RawBytes,
    };
}
