using Datacake.Streams.Access;
using Datacake.Streams.Records;

namespace Datacake.Streams.Processing.Pipeline;

/// <summary>
/// The first check of every record: a well-formed envelope of a known version and known enum values, signed by an
/// adapter key, whose credential was valid at the record's receive time and may write its device.
/// </summary>
public sealed class EnvelopeCheck(AdapterSigner signer, RegistryView registry)
{
    /// <summary>Decodes and authorizes <paramref name="record"/>; on failure rejects it with the reason. Never throws.</summary>
    public void Check(PipelineRecord record)
    {
        var bytes = record.Value;
        if (!RawRecordCodec.TryDecode(bytes, out var raw, out var error))
        {
            record.Reject(RejectReason.BadEnvelope, $"envelope: {error}");
            return;
        }

        if (UnknownEnum(raw) is { } unknown)
        {
            record.Reject(RejectReason.BadEnvelope, unknown);
            return;
        }

        record.Raw = raw;
        record.HasEnvelope = true;
        if (!signer.Verify(bytes.Span, raw))
        {
            record.Reject(RejectReason.BadSignature, $"no valid adapter signature (key id {raw.SigningKeyId})");
            return;
        }

        var at = raw.ReceivedAt;
        if (raw.CredentialKind == CredentialKind.Webhook && raw.RouteId is { } routeId
            && (!registry.TryGetWebhook(routeId, out var webhook) || webhook!.TokenHash != raw.Credential))
        {
            // A webhook record must come through the webhook its credential belongs to.
            record.Reject(RejectReason.UnknownCredential, "the credential does not belong to the webhook the record came through");
            return;
        }

        var result = registry.AuthorizeWrite(raw.Credential, raw.DeviceId, at);
        switch (result)
        {
            case AuthenticationResult.Ok:
                return;
            case AuthenticationResult.Unknown or AuthenticationResult.Malformed:
                record.Reject(RejectReason.UnknownCredential, "no token or webhook with this credential fingerprint is known");
                return;
            default:
                record.Reject(RejectReason.NotAuthorized, $"credential {Describe(result)} for device {raw.DeviceId} at {at:O}");
                return;
        }
    }

    private static string Describe(AuthenticationResult result) => result switch
    {
        AuthenticationResult.Forbidden => "does not cover writing",
        AuthenticationResult.Disabled => "was disabled",
        AuthenticationResult.Revoked => "was revoked",
        AuthenticationResult.Expired => "had expired",
        _ => result.ToString(),
    };

    private static string? UnknownEnum(in RawRecord raw)
    {
        if (raw.Source is <= SourceKind.Unspecified or > SourceKind.Particle)
        {
            return $"unknown source kind {(int)raw.Source}";
        }

        if (raw.PayloadKind is <= PayloadKind.Unspecified or > PayloadKind.UplinkJson)
        {
            return $"unknown payload kind {(int)raw.PayloadKind}";
        }

        // Unspecified is allowed: the fingerprint alone finds the token or webhook.
        if (raw.CredentialKind is < CredentialKind.Unspecified or > CredentialKind.Webhook)
        {
            return $"unknown credential kind {(int)raw.CredentialKind}";
        }

        return null;
    }
}
