namespace Datacake.Streams.Api.Backups;

/// <summary>
/// Whether a request carries the operator token. Same shape as the retention area's <c>IOperatorCheck</c>; the lead
/// replaces this with that one when both are merged.
/// </summary>
public interface IBackupOperatorCheck
{
    bool IsOperator(HttpContext context);
}
