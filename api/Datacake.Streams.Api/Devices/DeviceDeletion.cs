using System.Globalization;
using System.Security.Cryptography;
using Datacake.Streams.Access;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.Metadata;
using Datacake.Streams.Problems;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Api.Devices;

/// <summary>
/// Deleting a device in two steps (a warning with a one-time <c>confirm</c> code, then the deletion with it), softly
/// (the device is marked deleted and hidden everywhere, and the registry refuses its data), and restoring it within
/// the recovery window.
/// </summary>
public sealed class DeviceDeletion(IMetadataStore store, RegistryMirror registry, TimeProvider time, IOptions<AccessOptions> options)
{
    /// <summary>
    /// Deletes the device when <paramref name="confirm"/> is a valid code for it; otherwise changes nothing and
    /// throws the 409 problem with the warning and a fresh code.
    /// </summary>
    public async Task<DeviceRecord> DeleteAsync(DeviceRecord device, string? confirm, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var confirmed = !string.IsNullOrEmpty(confirm) && await store.TakeConfirmationAsync(TokenHash.Of(confirm), device.Id, now, cancellationToken);
        if (!confirmed)
        {
            throw await WarningAsync(device, wrongCode: !string.IsNullOrEmpty(confirm), cancellationToken);
        }

        var deleted = device with { DeletedAt = now };
        await store.UpdateDeviceAsync(deleted, cancellationToken);
        await registry.PublishAsync(deleted, cancellationToken);
        return deleted;
    }

    /// <summary>Brings a deleted device back, if its recovery window has not passed.</summary>
    public async Task<DeviceRecord> RestoreAsync(DeviceRecord device, CancellationToken cancellationToken)
    {
        if (device.DeletedAt is not { } deletedAt)
        {
            throw ApiProblem.Conflict(ProblemTypes.DeviceNotDeleted, "The device is not deleted", "Only a deleted device can be restored.");
        }

        if (time.GetUtcNow() - deletedAt > options.Value.DeviceRecoveryWindow)
        {
            throw new ApiProblem(
                StatusCodes.Status410Gone,
                ProblemTypes.RecoveryWindowPassed,
                "The recovery window has passed",
                $"A deleted device can be restored for {options.Value.DeviceRecoveryWindow.TotalDays:0} days.");
        }

        var restored = device with { DeletedAt = null };
        await store.UpdateDeviceAsync(restored, cancellationToken);
        await registry.PublishAsync(restored, cancellationToken);
        return restored;
    }

    private async Task<ApiProblem> WarningAsync(DeviceRecord device, bool wrongCode, CancellationToken cancellationToken)
    {
        var tokens = (await store.ListScopedTokensAsync(device.WorkspaceId, cancellationToken))
            .Count(t => t.RevokedAt is null && t.Devices.Any(d => d.Device == device.Id));
        var webhooks = (await store.ListWebhooksAsync(device.WorkspaceId, cancellationToken)).Count(w => w.Devices.Contains(device.Id));

        var code = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var lifetime = options.Value.DeletionConfirmationLifetime;
        await store.SaveConfirmationAsync(new DeletionConfirmation(TokenHash.Of(code), device.Id, time.GetUtcNow() + lifetime), cancellationToken);

        var days = options.Value.DeviceRecoveryWindow.TotalDays.ToString("0", CultureInfo.InvariantCulture);
        var warning =
            $"Deleting device '{device.Name}' hides all of its measurements from every query and dashboard, refuses new data for it "
            + $"({tokens} token(s) and {webhooks} webhook(s) grant access to it), and detaches its decoder. It can be restored for {days} days; "
            + "after that it and its data are gone for good.";
        return ApiProblem.Conflict(
            wrongCode ? ProblemTypes.DeletionConfirmationInvalid : ProblemTypes.DeletionNeedsConfirmation,
            wrongCode ? "The confirm code is unknown, used or expired" : "Confirm the deletion",
            warning,
            new Dictionary<string, object?>
            {
                ["warning"] = warning,
                ["confirm"] = code,
                ["confirmExpiresInSeconds"] = (long)lifetime.TotalSeconds,
                ["recoveryWindowDays"] = options.Value.DeviceRecoveryWindow.TotalDays,
            });
    }
}
