using Datacake.Streams.Access;
using Datacake.Streams.Records;
using Datacake.Streams.Payloads.DeadLetters;

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
/// <see cref="Check(PipelineRecord, bool)"/> never waits: it answers false for such a record, and
/// <see cref="EnvelopeStage"/> awaits <see cref="CatchUpAsync"/> without holding a stream thread, then calls
/// <see cref="Recheck"/>.
/// </remarks>
public sealed class EnvelopeCheck
{
    // Older records are decided at once: a view lags by milliseconds to seconds, not minutes, and a backlog replayed
    // after an outage must not start a round per chunk of records with revoked tokens.
    private static readonly TimeSpan FreshFor = TimeSpan.FromMinutes(2);

    // The registry log unreachable: the record is refused as it would have been without the round.
    private static readonly TimeSpan CatchUpTimeout = TimeSpan.FromSeconds(10);

    private readonly AdapterSigner _signer;
    private readonly RegistryView _registry;
    private readonly Func<long, CancellationToken, Task>? _catchUp;
    private readonly Func<long> _clock;
    private readonly TimeProvider _time;

    public EnvelopeCheck(AdapterSigner signer, RegistryView registry, RegistryFeed? feed = null, TimeProvider? time = null)
        : this(signer, registry, feed is null ? null : feed.CatchUpAsync, feed is null ? null : feed.GetTimestamp, time)
    {
    }

    /// <summary>With any catch-up round (tests): <paramref name="catchUp"/> as <see cref="RegistryFeed.CatchUpAsync"/>, <paramref name="clock"/> its clock.</summary>
    internal EnvelopeCheck(AdapterSigner signer, RegistryView registry, Func<long, CancellationToken, Task>? catchUp, Func<long>? clock, TimeProvider? time)
    {
        _signer = signer;
        _registry = registry;
        _catchUp = catchUp;
        _clock = clock ?? (static () => 0);
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The round's clock reading to pass to <see cref="CatchUpAsync"/> for one chunk of records, taken before its checks.</summary>
    public long ChunkStarted() => _clock();

    /// <summary>Decodes and authorizes <paramref name="record"/> without a catch-up round; on failure rejects it with the reason. Never throws.</summary>
    public void Check(PipelineRecord record)
    {
        if (!Check(record, canCatchUp: false))
        {
            Recheck(record);
        }
    }

    /// <summary>
    /// As <see cref="Check(PipelineRecord)"/>, but a fresh record this view cannot place is left undecided when
    /// <paramref name="canCatchUp"/>: false then, and the caller awaits <see cref="CatchUpAsync"/> and calls
    /// <see cref="Recheck"/>. Never blocks, never throws.
    /// </summary>
    public bool Check(PipelineRecord record, bool canCatchUp)
    {
        var bytes = record.Value;
        if (!RawRecordCodec.TryDecode(bytes, out var raw, out var error))
        {
            record.Reject(RejectReason.BadEnvelope, $"envelope: {error}");
            return true;
        }

        if (UnknownEnum(raw) is { } unknown)
        {
            record.Reject(RejectReason.BadEnvelope, unknown);
            return true;
        }

        record.Raw = raw;
        record.HasEnvelope = true;
        if (!_signer.Verify(bytes.Span, raw))
        {
            record.Reject(RejectReason.BadSignature, $"no valid adapter signature (key id {raw.SigningKeyId})");
            return true;
        }

        var (result, wrongWebhook) = Authorize(raw);
        if (canCatchUp && (wrongWebhook || result is AuthenticationResult.Unknown or AuthenticationResult.Forbidden) && CanCatchUp(raw))
        {
            return false;
        }

        Decide(record, raw, result, wrongWebhook);
        return true;
    }

    /// <summary>Decides a record <see cref="Check(PipelineRecord, bool)"/> left undecided, after the round (whatever its outcome: a failed round changes nothing in the view).</summary>
    public void Recheck(PipelineRecord record)
    {
        var raw = record.Raw;
        var (result, wrongWebhook) = Authorize(raw);
        Decide(record, raw, result, wrongWebhook);
    }

    /// <summary>
    /// One catch-up round begun at or after <paramref name="chunkStarted"/>: true when it completed (the view may now
    /// know more), false when it failed or took longer than 10 s. Never throws.
    /// </summary>
    public async Task<bool> CatchUpAsync(long chunkStarted)
    {
        if (_catchUp is null)
        {
            return false;
        }

        try
        {
            await _catchUp(chunkStarted, CancellationToken.None).WaitAsync(CatchUpTimeout, _time).ConfigureAwait(false);
            return true;
        }
        catch (Exception)
        {
            return false;
        }
    }

    private bool CanCatchUp(in RawRecord raw) => _catchUp is not null && _time.GetUtcNow() - raw.ReceivedAt <= FreshFor;

    private static void Decide(PipelineRecord record, in RawRecord raw, AuthenticationResult result, bool wrongWebhook)
    {
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
                record.Reject(RejectReason.NotAuthorized, $"credential {Describe(result)} for device {raw.DeviceId} at {raw.ReceivedAt:O}");
                return;
        }
    }

    private (AuthenticationResult Result, bool WrongWebhook) Authorize(in RawRecord raw)
    {
        if (raw.CredentialKind == CredentialKind.Webhook && raw.RouteId is { } routeId
            && (!_registry.TryGetWebhook(routeId, out var webhook) || webhook!.TokenHash != raw.Credential))
        {
            return (AuthenticationResult.Unknown, true);
        }

        return (_registry.AuthorizeWrite(raw.Credential, raw.DeviceId, raw.ReceivedAt), false);
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

        if (raw.PayloadKind is <= PayloadKind.Unspecified or > PayloadKind.UplinkFields)
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
