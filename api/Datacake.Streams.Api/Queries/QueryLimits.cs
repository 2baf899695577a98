using Datacake.Streams.Api.Access;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.Queries;

/// <summary>Bounds on what one query may ask for (section "Queries"); beyond them the answer is 400 naming the limit.</summary>
public sealed record QueryLimits
{
    public const string Section = "Queries";

    /// <summary>Points per series in one answer: 10,000 is ~7 days at 1 minute, more than any chart has pixels for.</summary>
    public int MaxPointsPerSeries { get; init; } = 10_000;

    /// <summary>Devices in one POST /v1/query.</summary>
    public int MaxDevices { get; init; } = 1_000;

    /// <summary>Fields named in one query (a device has at most 100 per point, docs/DATA-MODEL.md).</summary>
    public int MaxFields { get; init; } = 100;

    /// <summary>Range when <c>from</c> is absent.</summary>
    public TimeSpan DefaultRange { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Longest range: the default h1 retention and a little.</summary>
    public TimeSpan MaxRange { get; init; } = TimeSpan.FromDays(10 * 365);
}

public sealed class QueryLimitsValidator : IValidateOptions<QueryLimits>
{
    public ValidateOptionsResult Validate(string? name, QueryLimits options)
    {
        var failures = new List<string>();
        if (options.MaxPointsPerSeries < 1 || options.MaxDevices < 1 || options.MaxFields < 1)
        {
            failures.Add("Queries: MaxPointsPerSeries, MaxDevices and MaxFields must be positive");
        }

        if (options.DefaultRange <= TimeSpan.Zero || options.MaxRange < options.DefaultRange)
        {
            failures.Add("Queries: DefaultRange must be positive and MaxRange at least DefaultRange");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
