using Datacake.Streams.Backups;
using Datacake.Streams.Problems;

namespace Datacake.Streams.Api.Backups;

/// <summary>RFC 9457 problem details of the backup endpoints, each with a stable <c>type</c> from <see cref="ProblemTypes"/>.</summary>
public static class BackupProblems
{
    public static IResult From(BackupException ex) => ex.Failure switch
    {
        BackupFailure.NotFound => Create(StatusCodes.Status404NotFound, ProblemTypes.BackupNotFound, "Backup not found", ex.Message),
        BackupFailure.Busy => Create(StatusCodes.Status409Conflict, ProblemTypes.BackupBusy, "A backup or restore is running", ex.Message),
        BackupFailure.ConfirmationRequired => Create(StatusCodes.Status409Conflict, ProblemTypes.ConfirmationRequired, "Confirmation required", ex.Message),
        BackupFailure.ChecksumMismatch => Create(StatusCodes.Status422UnprocessableEntity, ProblemTypes.BackupDamaged, "The backup does not match its manifest", ex.Message),
        BackupFailure.BrokenChain => Create(StatusCodes.Status422UnprocessableEntity, ProblemTypes.BackupChainBroken, "A backup the restore needs is missing", ex.Message),
        BackupFailure.CountMismatch => Create(StatusCodes.Status422UnprocessableEntity, ProblemTypes.RestoreCountMismatch, "The restore does not hold the manifest's counts", ex.Message),
        _ => Create(StatusCodes.Status503ServiceUnavailable, ProblemTypes.BackupUnavailable, "InfluxDB or the backup tools are unavailable", ex.Message),
    };

    public static IResult Invalid(string detail) => Create(StatusCodes.Status400BadRequest, ProblemTypes.InvalidRequest, "Invalid request", detail);

    public static IResult Create(int status, string type, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: type);
}
