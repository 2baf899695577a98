using Datacake.Streams.Backups;

namespace Datacake.Streams.Api.Backups;

/// <summary>RFC 9457 problem details of the backup endpoints, each with a stable <c>type</c>.</summary>
public static class BackupProblems
{
    public const string TypePrefix = "https://datacake.streams/problems/";

    public static IResult From(BackupException ex) => ex.Failure switch
    {
        BackupFailure.NotFound => Create(StatusCodes.Status404NotFound, "backup-not-found", "Backup not found", ex.Message),
        BackupFailure.Busy => Create(StatusCodes.Status409Conflict, "backup-busy", "A backup or restore is running", ex.Message),
        BackupFailure.ConfirmationRequired => Create(StatusCodes.Status409Conflict, "confirmation-required", "Confirmation required", ex.Message),
        BackupFailure.ChecksumMismatch => Create(StatusCodes.Status422UnprocessableEntity, "backup-damaged", "The backup does not match its manifest", ex.Message),
        BackupFailure.BrokenChain => Create(StatusCodes.Status422UnprocessableEntity, "backup-chain-broken", "A backup the restore needs is missing", ex.Message),
        BackupFailure.CountMismatch => Create(StatusCodes.Status422UnprocessableEntity, "restore-count-mismatch", "The restore does not hold the manifest's counts", ex.Message),
        _ => Create(StatusCodes.Status503ServiceUnavailable, "backup-unavailable", "InfluxDB or the backup tools are unavailable", ex.Message),
    };

    public static IResult Invalid(string detail) => Create(StatusCodes.Status400BadRequest, "invalid-request", "Invalid request", detail);

    public static IResult Unauthenticated() =>
        Create(StatusCodes.Status401Unauthorized, "unauthenticated", "Authentication required", "Send the operator token as Authorization: Bearer <token>.");

    public static IResult Forbidden() =>
        Create(StatusCodes.Status403Forbidden, "forbidden", "Operator token required", "Backups are managed with the operator token only.");

    public static IResult Create(int status, string type, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: TypePrefix + type);
}
