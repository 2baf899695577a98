using System.Net;
using System.Text;
using Datacake.Streams.Access;
using Microsoft.Extensions.Options;

namespace Datacake.Streams.Ingest.Bridge;

/// <summary>Checks <c>Ingest:Bridges</c> at start-up. Failure messages name the bridge and the key, never a secret.</summary>
public sealed class BridgeOptionsValidator : IValidateOptions<BridgeOptions>
{
    /// <summary>
    /// Upper bound of <see cref="BridgeDefinition.MaxPayloadBytes"/>: a record must fit the log (FasterLog's default
    /// page is 1 MiB, Kafka's default message limit 1 MB), with room for the envelope.
    /// </summary>
    public const int MaxPayloadLimit = 512 * 1024;

    // Shorter sessions would let a restart or a deploy lose what the broker queued meanwhile.
    private static readonly TimeSpan _minSessionExpiry = TimeSpan.FromMinutes(1);

    public ValidateOptionsResult Validate(string? name, BridgeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var clientIds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Bridges.Count; i++)
        {
            var bridge = options.Bridges[i];
            if (bridge is null)
            {
                failures.Add($"Ingest:Bridges:{i}: empty");
                continue;
            }

            var key = $"Ingest:Bridges:{i} ({(IsName(bridge.Name) ? bridge.Name : "unnamed")})";
            if (!IsName(bridge.Name))
            {
                failures.Add($"{key}: Name must be 1-64 of [a-z0-9-]");
            }
            else if (!names.Add(bridge.Name))
            {
                failures.Add($"{key}: Name is used by another bridge");
            }

            if (!clientIds.Add($"{bridge.Host}:{bridge.EffectivePort}/{bridge.EffectiveClientId}"))
            {
                failures.Add($"{key}: ClientId is used by another bridge to the same broker; the two would take the session from each other");
            }

            CheckConnection(bridge, key, failures);
            CheckSubscription(bridge, key, failures);
            CheckLimits(bridge, key, failures);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckConnection(BridgeDefinition bridge, string key, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(bridge.Host) || Uri.CheckHostName(bridge.Host) == UriHostNameType.Unknown)
        {
            failures.Add($"{key}: Host must be a host name or IP address");
        }
        else if (!bridge.UseTls && !IsLoopback(bridge.Host))
        {
            failures.Add($"{key}: UseTls=false is allowed only for a broker on a loopback address; the password and data would cross the network in clear");
        }

        if (bridge.Port is < 0 or > 65535)
        {
            failures.Add($"{key}: Port must be 1-65535 (0: 8883 with TLS, 1883 without)");
        }

        CheckFile(bridge.CaFile, "CaFile", key, failures);
        CheckFile(bridge.ClientCertificateFile, "ClientCertificateFile", key, failures);
        CheckFile(bridge.ClientKeyFile, "ClientKeyFile", key, failures);
        if (!string.IsNullOrEmpty(bridge.ClientKeyFile) && string.IsNullOrEmpty(bridge.ClientCertificateFile))
        {
            failures.Add($"{key}: ClientKeyFile needs ClientCertificateFile");
        }

        if (!bridge.UseTls && (!string.IsNullOrEmpty(bridge.CaFile) || !string.IsNullOrEmpty(bridge.ClientCertificateFile)))
        {
            failures.Add($"{key}: CaFile and ClientCertificateFile need UseTls=true");
        }

        if (!string.IsNullOrEmpty(bridge.Password) && string.IsNullOrEmpty(bridge.Username))
        {
            // MQTT 3.1.1 section 3.1.2.9: no password without a user name.
            failures.Add($"{key}: Password needs Username");
        }

        var clientId = bridge.EffectiveClientId;
        if (Encoding.UTF8.GetByteCount(clientId) > ushort.MaxValue || clientId.Contains('\0', StringComparison.Ordinal))
        {
            failures.Add($"{key}: ClientId must be at most 65,535 UTF-8 bytes without U+0000");
        }

        if (!AccessToken.TryValidateFormat(bridge.Token))
        {
            // Never echo the value: it may be a real token with a typo.
            failures.Add($"{key}: Token must be a workspace or device token (dcs_…) created by the workspace");
        }

        if (bridge.SessionExpiry < _minSessionExpiry && bridge.Protocol == BridgeProtocol.V500)
        {
            failures.Add($"{key}: SessionExpiry must be at least {_minSessionExpiry.TotalMinutes:0} minute: the broker must keep what arrives while we reconnect");
        }

        if (bridge.KeepAlive < TimeSpan.FromSeconds(5) || bridge.KeepAlive > TimeSpan.FromSeconds(ushort.MaxValue))
        {
            failures.Add($"{key}: KeepAlive must be between 5 s and 65,535 s");
        }

        if (bridge.ReconnectDelay <= TimeSpan.Zero || bridge.MaxReconnectDelay < bridge.ReconnectDelay)
        {
            failures.Add($"{key}: ReconnectDelay must be positive and MaxReconnectDelay at least as long");
        }
    }

    private static void CheckSubscription(BridgeDefinition bridge, string key, List<string> failures)
    {
        var mapping = bridge.Mapping ?? new BridgeMapping();
        var hasTopic = !string.IsNullOrEmpty(mapping.Topic);
        var hasPointer = !string.IsNullOrEmpty(mapping.JsonPointer);
        if (hasTopic == hasPointer)
        {
            failures.Add($"{key}: Mapping needs exactly one of Topic (a template like sensors/{{devEui}}/up) or JsonPointer");
        }
        else if (hasTopic && !TopicTemplate.TryParse(mapping.Topic, out _, out var templateError))
        {
            failures.Add($"{key}: Mapping:Topic: {templateError}");
        }
        else if (hasPointer && !JsonPointer.TryParse(mapping.JsonPointer, out _, out var pointerError))
        {
            failures.Add($"{key}: Mapping:JsonPointer: {pointerError}");
        }

        if (bridge.Topics.Count == 0 && !hasTopic)
        {
            failures.Add($"{key}: Topics must list the filters to subscribe when the mapping is a JsonPointer");
        }

        foreach (var filter in bridge.Topics)
        {
            if (!TopicFilter.IsValid(filter, out var error))
            {
                failures.Add($"{key}: Topics: {error}");
            }
        }

        if (bridge.Qos is < 0 or > 2)
        {
            failures.Add($"{key}: Qos must be 0, 1 or 2");
        }
    }

    private static void CheckLimits(BridgeDefinition bridge, string key, List<string> failures)
    {
        if (bridge.MaxPayloadBytes is < 1 or > MaxPayloadLimit)
        {
            failures.Add($"{key}: MaxPayloadBytes must be between 1 and {MaxPayloadLimit}");
        }

        if (bridge.Connections is < 1 or > 16)
        {
            failures.Add($"{key}: Connections must be between 1 and 16");
        }

        if (bridge.ReceiveMaximum is < 1 or > ushort.MaxValue)
        {
            failures.Add($"{key}: ReceiveMaximum must be between 1 and 65535");
        }
    }

    private static void CheckFile(string? path, string name, string key, List<string> failures)
    {
        if (!string.IsNullOrEmpty(path) && !File.Exists(path))
        {
            failures.Add($"{key}: {name}: no file at {path}");
        }
    }

    private static bool IsName(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= 64 && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');

    private static bool IsLoopback(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
}
