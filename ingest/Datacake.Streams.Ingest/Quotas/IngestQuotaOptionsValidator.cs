using Microsoft.Extensions.Options;

namespace Datacake.Streams.Ingest.Quotas;

/// <summary>Fails start-up on a default quota that cannot work (the same bounds as an operator's quota per workspace).</summary>
public sealed class IngestQuotaOptionsValidator : IValidateOptions<IngestQuotaOptions>
{
    public ValidateOptionsResult Validate(string? name, IngestQuotaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.ToQuota().Check();
        return errors.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(errors.Select(e => $"{IngestQuotaOptions.Section}:{char.ToUpperInvariant(e.Key[0])}{e.Key[1..]}: {string.Join(", ", e.Value)}"));
    }
}
