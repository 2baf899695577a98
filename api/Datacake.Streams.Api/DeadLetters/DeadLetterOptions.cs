using Datacake.Streams.Payloads.DeadLetters;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.DeadLetters;

/// <summary>How much of <c>dcs.deadletter</c> the api role keeps in memory for the owners' reads (section "DeadLetters").</summary>
public sealed record DeadLetterOptions
{
    public const string Section = "DeadLetters";

    /// <summary>Newest letters kept per device; an older one leaves as a new one comes (a device floods only itself).</summary>
    public int PerDevice { get; init; } = 100;

    /// <summary>Devices with letters kept in all; beyond it the least recently written device is forgotten whole.</summary>
    public int MaxDevices { get; init; } = 10_000;

    /// <summary>
    /// Devices with letters kept per top-level workspace; beyond it that workspace's own least recently written device
    /// goes, so that one tenant's devices fill at most a tenth of <see cref="MaxDevices"/> by default.
    /// </summary>
    public int MaxDevicesPerWorkspace { get; init; } = 1_000;

    /// <summary>
    /// Estimated bytes of every kept letter together (details are at most 1,024 characters, payloads
    /// <see cref="MaxPayloadBytes"/>): 64 MiB holds ~20,000 full letters, ~200,000 of a short detail and no payload.
    /// </summary>
    public long MaxBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Bytes of a letter's payload shown to its owner; a longer one is cut and marked truncated.</summary>
    public int MaxPayloadBytes { get; init; } = 1_024;

    /// <summary>The most one device's letters can hold: <see cref="MaxBytes"/> must leave room for it.</summary>
    internal long DeviceBytes => DeadLetterIndex.DeviceFixedBytes
        + (PerDevice * (DeadLetterIndex.RingSlotBytes + DeadLetterEntry.FixedBytes + (2L * DeadLetterCodec.MaxDetailLength) + MaxPayloadBytes));
}

public sealed class DeadLetterOptionsValidator : IValidateOptions<DeadLetterOptions>
{
    public ValidateOptionsResult Validate(string? name, DeadLetterOptions options)
    {
        var failures = new List<string>();
        if (options.PerDevice is < 1 or > 1_000)
        {
            failures.Add("DeadLetters:PerDevice must be 1-1000");
        }

        if (options.MaxDevices is < 1 or > 1_000_000)
        {
            failures.Add("DeadLetters:MaxDevices must be 1-1000000");
        }

        if (options.MaxDevicesPerWorkspace < 1 || options.MaxDevicesPerWorkspace > options.MaxDevices)
        {
            failures.Add("DeadLetters:MaxDevicesPerWorkspace must be 1-MaxDevices");
        }

        if (options.MaxPayloadBytes is < 0 or > 65_536)
        {
            failures.Add("DeadLetters:MaxPayloadBytes must be 0-65536");
        }

        if (failures.Count == 0 && (options.MaxBytes < options.DeviceBytes || options.MaxBytes > 16L * 1024 * 1024 * 1024))
        {
            failures.Add($"DeadLetters:MaxBytes must be at least what one device's letters can hold ({options.DeviceBytes} with these settings) and at most 16 GiB");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
