using Datacake.Streams.Access;
using Datacake.Streams.Records;

namespace Datacake.Streams.Processing.Pipeline;

/// <summary>
/// The first check of every record: a well-formed envelope of a known version and known enum values, signed by an
/// adapter key, whose credential was valid at the record's receive time and may write its device.
/// </summary>
/// <remarks>
/// The ingest node accepted the record against its own view of the registry; this processor's view may lag behind it
/// (a token or device created a moment before, on another node). So a fresh record whose credential, webhook or device
/// this view does not know is decided only after a catch-up round of the <see cref="RegistryFeed"/>
/// (<see cref="RegistryFeed.CatchUpAsync"/>, shared by every miss of a chunk). Found by the outage test: the first
/// values of new devices were dead-lettered <c>unknown_credential</c> in ~1 of 4 runs on two nodes.
/// </remarks>
public sealed class EnvelopeCheck(AdapterSigner signer, RegistryView registry, RegistryFeed? feed = null, TimeProvider? time = null)
{
    // Older records are decided at once: a view lags by milliseconds to seconds, not minutes, and a backlog replayed
    // after an outage must not start a round per chunk of records with revoked tokens.
    private static readonly TimeSpan FreshFor = TimeSpan.FromMinutes(2);

    // The registry log unreachable: the record is refused as it would have been without the round.
    private static readonly TimeSpan CatchUpTimeout = TimeSpan.FromSeconds(10);

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>The feed's clock reading to pass to <see cref="Check(PipelineRecord, long)"/> for one chunk of records.</summary>
    public long ChunkStarted() => feed?.GetTimestamp() ?? 0;

    /// <summary>Decodes and authorizes <paramref name="record"/>; on failure rejects it with the reason. Never throws.</summary>
    public void Check(PipelineRecord record) => Check(record, ChunkStarted());

    /// <summary>
    /// As <see cref="Check(PipelineRecord)"/>; <paramref name="chunkStarted"/> (from <see cref="ChunkStarted"/>) lets
    /// the misses of one chunk share one catch-up round.
    /// </summary>
    public void Check(PipelineRecord record, long chunkStarted)
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
        var (result, wrongWebhook) = Authorize(raw);
        if ((wrongWebhook || result is AuthenticationResult.Unknown or AuthenticationResult.Forbidden) && CaughtUp(raw, chunkStarted))
        {
            (result, wrongWebhook) = Authorize(raw);
        }

        if (wrongWebhook)
        {
            // A webhook record must come through the webhook its credential belongs to.
            record.Reject(RejectReason.UnknownCredential, "the credential does not belong to the webhook the record came through");
            return;
        }

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

    private (AuthenticationResult Result, bool WrongWebhook) Authorize(in RawRecord raw)
    {
        if (raw.CredentialKind == CredentialKind.Webhook && raw.RouteId is { } routeId
            && (!registry.TryGetWebhook(routeId, out var webhook) || webhook!.TokenHash != raw.Credential))
        {
            return (AuthenticationResult.Unknown, true);
        }

        return (registry.AuthorizeWrite(raw.Credential, raw.DeviceId, raw.ReceivedAt), false);
    }

    /// <summary>True when a catch-up round for a fresh record completed (the view may now know more).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private bool CaughtUp(in RawRecord raw, long chunkStarted)
    {
        if (feed is null || _time.GetUtcNow() - raw.ReceivedAt > FreshFor)
        {
            return false;
        }

        try
        {
            // Blocks this partition's stage for one round (a few ms: one append per registry partition and the
            // read past it); only records the view could not place get here.
            return feed.CatchUpAsync(chunkStarted).Wait(CatchUpTimeout);
        }
        catch (AggregateException)
        {
            return false;
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
