namespace Datacake.Streams.Problems;

/// <summary>
/// Every RFC 9457 problem <c>type</c> the node answers with, under one prefix. The values are part of the v1 contract:
/// clients branch on them, never on a title or detail. docs/PROBLEMS.md lists each with its status and meaning; a new
/// type is added here and there, nowhere else.
/// </summary>
public static class ProblemTypes
{
    public const string Prefix = "https://datacake-streams.dev/problems/";

    // Authentication and scope.
    public const string Unauthenticated = Prefix + "unauthenticated";
    public const string TokenMissing = Prefix + "token-missing";
    public const string TokenMalformed = Prefix + "token-malformed";
    public const string TokenRefused = Prefix + "token-refused";
    public const string WebhookUnauthorized = Prefix + "webhook-unauthorized";
    public const string WebhookDisabled = Prefix + "webhook-disabled";
    public const string WebhookSignatureInvalid = Prefix + "webhook-signature-invalid";
    public const string TooManyFailedAuthentications = Prefix + "too-many-failed-authentications";
    public const string RateLimited = Prefix + "rate-limited";
    public const string QuotaExceeded = Prefix + "quota-exceeded";
    public const string Forbidden = Prefix + "forbidden";
    public const string OperatorNoWorkspaceData = Prefix + "operator-no-workspace-data";

    // Not found: one answer for "does not exist" and "not yours".
    public const string NotFound = Prefix + "not-found";
    public const string DeviceNotFound = Prefix + "device-not-found";
    public const string WorkspaceNotFound = Prefix + "workspace-not-found";
    public const string UnknownDevice = Prefix + "unknown-device";

    // Bad requests.
    public const string InvalidRequest = Prefix + "invalid-request";
    public const string InvalidBody = Prefix + "invalid-body";
    public const string MalformedBody = Prefix + "malformed-body";
    public const string InvalidIdempotencyKey = Prefix + "invalid-idempotency-key";
    public const string InvalidQuery = Prefix + "invalid-query";
    public const string InvalidRetention = Prefix + "invalid-retention";
    public const string TooManyPoints = Prefix + "too-many-points";
    public const string BodyTooLarge = Prefix + "body-too-large";
    public const string UnsupportedMediaType = Prefix + "unsupported-media-type";
    public const string DeviceNotInWorkspace = Prefix + "device-not-in-workspace";
    public const string DecodeFailed = Prefix + "decode-failed";

    // Conflicts and state.
    public const string DeviceNotDeleted = Prefix + "device-not-deleted";
    public const string RecoveryWindowPassed = Prefix + "recovery-window-passed";
    public const string DeletionNeedsConfirmation = Prefix + "deletion-needs-confirmation";
    public const string DeletionConfirmationInvalid = Prefix + "deletion-confirmation-invalid";
    public const string DeviceIdentityTaken = Prefix + "device-identity-taken";
    public const string TokenRevoked = Prefix + "token-revoked";
    public const string EmailTaken = Prefix + "email-taken";
    public const string LastOwner = Prefix + "last-owner";
    public const string WorkspaceTooDeep = Prefix + "workspace-too-deep";
    public const string InvitationExpired = Prefix + "invitation-expired";
    public const string InviterLostRight = Prefix + "inviter-lost-right";

    // Backups.
    public const string BackupNotFound = Prefix + "backup-not-found";
    public const string BackupBusy = Prefix + "backup-busy";
    public const string ConfirmationRequired = Prefix + "confirmation-required";
    public const string BackupDamaged = Prefix + "backup-damaged";
    public const string BackupChainBroken = Prefix + "backup-chain-broken";
    public const string RestoreCountMismatch = Prefix + "restore-count-mismatch";
    public const string BackupUnavailable = Prefix + "backup-unavailable";

    // Dependencies down.
    public const string LogUnavailable = Prefix + "log-unavailable";
    public const string StoreUnavailable = Prefix + "store-unavailable";
}
