namespace Datacake.Streams.Api.Retention;

/// <summary>The retention policies that hold <c>values</c>: raw points and the two rollups.</summary>
public enum StorageTier
{
    Raw,
    M1,
    H1,
}

public static class StorageTiers
{
    /// <summary>Finest first.</summary>
    public static readonly IReadOnlyList<StorageTier> All = [StorageTier.Raw, StorageTier.M1, StorageTier.H1];

    /// <summary>The tiers rolled up from raw, finest first.</summary>
    public static readonly IReadOnlyList<StorageTier> Rollups = [StorageTier.M1, StorageTier.H1];

    /// <summary>Retention policy name, also the tier's name in API answers.</summary>
    public static string Name(this StorageTier tier) => tier switch
    {
        StorageTier.Raw => RetentionPolicyNames.Raw,
        StorageTier.M1 => RetentionPolicyNames.M1,
        StorageTier.H1 => RetentionPolicyNames.H1,
        _ => throw new ArgumentOutOfRangeException(nameof(tier), tier, null),
    };

    /// <summary>Width of one stored point's window: zero for raw points.</summary>
    public static TimeSpan Resolution(this StorageTier tier) => tier switch
    {
        StorageTier.Raw => TimeSpan.Zero,
        StorageTier.M1 => TimeSpan.FromMinutes(1),
        StorageTier.H1 => TimeSpan.FromHours(1),
        _ => throw new ArgumentOutOfRangeException(nameof(tier), tier, null),
    };
}

/// <summary>Names fixed by docs/DATA-MODEL.md.</summary>
public static class RetentionPolicyNames
{
    public const string Raw = "raw";
    public const string M1 = "m1";
    public const string H1 = "h1";
    public const string Meta = "meta";
}
