using Datacake.Streams.Api.InfluxApi;
using System.Collections;
using System.Reflection;
using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.DeadLetters;
using Datacake.Streams.Api.Decoders;
using Datacake.Streams.Api.Export;
using Datacake.Streams.Api.Observability;
using Datacake.Streams.Api.Queries;
using Datacake.Streams.Api.Retention;
using Datacake.Streams.Api.Workspaces;
using Datacake.Streams.Backups;
using Datacake.Streams.EdgeAuth;
using Datacake.Streams.Hosting;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Ingest.Bridge;
using Datacake.Streams.Ingest.Http;
using Datacake.Streams.InfluxApi;
using Datacake.Streams.Ingest.Mqtt;
using Datacake.Streams.Ingest.Quotas;
using Datacake.Streams.Ingest.Webhooks;
using Datacake.Streams.Log.Kafka;
using Datacake.Streams.Processing.Decoding;
using Datacake.Streams.Processing.Dedup;
using Datacake.Streams.Processing.Pipeline;
using Datacake.Streams.Processing.Replay;
using Datacake.Streams.RecordLog.Faster;

namespace Datacake.Streams.UnitTests.Host.Hosting;

/// <summary>One options class bound at one configuration section (several classes may share a section).</summary>
internal sealed record OptionsSection(string Path, Type Options);

/// <summary>
/// The configuration keys the host reads, as docs/CONFIGURATION.md and ops/appsettings.example.jsonc describe them:
/// the options classes at their sections, plus the few keys read one by one. Names resolve the way the binder does
/// (case-insensitive, public settable properties, dictionary keys free, list items by index).
/// </summary>
internal static class ConfigurationKeys
{
    public static readonly OptionsSection[] Sections =
    [
        new(StreamsOptions.Section, typeof(StreamsOptions)),
        new(InfluxOptions.Section, typeof(InfluxOptions)),
        new(FasterRecordLogOptions.Section, typeof(FasterRecordLogOptions)),
        new(KafkaRecordLogOptions.Section, typeof(KafkaRecordLogOptions)),
        new(HttpIngestOptions.Section, typeof(HttpIngestOptions)),
        new(MqttIngestOptions.Section, typeof(MqttIngestOptions)),
        new(BridgeOptions.Section, typeof(BridgeOptions)),
        new(WebhookIngestOptions.Section, typeof(WebhookIngestOptions)),
        new(IngestQuotaOptions.Section, typeof(IngestQuotaOptions)),
        new(InfluxApiOptions.Section, typeof(InfluxApiOptions)),
        new(ProcessingOptions.Section, typeof(ProcessingOptions)),
        new(ReplayGuardOptions.Section, typeof(ReplayGuardOptions)),
        new(DuplicateFilterOptions.Section, typeof(DuplicateFilterOptions)),
        new(JavaScriptDecoderOptions.Section, typeof(JavaScriptDecoderOptions)),
        new(RetentionTiersOptions.Section, typeof(RetentionTiersOptions)),
        new(AccessOptions.Section, typeof(AccessOptions)),
        new(InvitationOptions.Section, typeof(InvitationOptions)),
        new(FailedAuthenticationOptions.Section, typeof(FailedAuthenticationOptions)),
        new(QueryLimits.Section, typeof(QueryLimits)),
        new(ExportOptions.Section, typeof(ExportOptions)),
        new(DecoderDryRunLimits.Section, typeof(DecoderDryRunLimits)),
        new(DeadLetterOptions.Section, typeof(DeadLetterOptions)),
        new(BackupOptions.Section, typeof(BackupOptions)),
        new(MetricsAccessOptions.Section, typeof(MetricsAccessOptions)),
        new(ProxyOptions.Section, typeof(ProxyOptions)),
    ];

    /// <summary>Keys read with <c>configuration["..."]</c>: the node keys (NodeSecrets) and the backups' RPC fallback.</summary>
    public static readonly string[] DirectKeys =
    [
        $"{NodeSecrets.Section}:AdapterKey",
        $"{NodeSecrets.Section}:RegistryKey",
        $"{NodeSecrets.Section}:PreviousRegistryKey",
        "Influx:BackupHost",
    ];

    /// <summary>Sections of ASP.NET Core itself; their keys are the framework's.</summary>
    public static readonly string[] FrameworkSections = ["Logging"];

    /// <summary>Properties that exist but are not read from configuration (the host sets them).</summary>
    public static readonly string[] Ignored = [$"{FasterRecordLogOptions.Section}:DataDirectory"];

    /// <summary>The section whose class has the key's next segment, the most specific first; null when none has it.</summary>
    public static OptionsSection? Owner(string key) =>
        Sections
            .Where(s => key.StartsWith(s.Path + ":", StringComparison.OrdinalIgnoreCase)
                && Property(s.Options, key[(s.Path.Length + 1)..].Split(':')[0]) is not null)
            .OrderByDescending(s => s.Path.Length)
            .FirstOrDefault();

    /// <summary>
    /// Whether the host reads <paramref name="key"/>. Segments written <c>&lt;name&gt;</c> stand for any dictionary key
    /// or list index, as in the documentation's tables.
    /// </summary>
    public static bool Exists(string key)
    {
        if (FrameworkSections.Any(s => key.StartsWith(s + ":", StringComparison.OrdinalIgnoreCase)))
        {
            return true;
        }

        if (DirectKeys.Contains(key, StringComparer.OrdinalIgnoreCase))
        {
            return true;
        }

        return Owner(key) is { } owner && Resolves(owner.Options, key[(owner.Path.Length + 1)..].Split(':'));
    }

    /// <summary>Every key of every options class: leaves, dictionaries and lists of values; list items of records under index 0.</summary>
    public static IEnumerable<string> AllKeys() =>
        Sections.SelectMany(s => KeysOf(s.Options, s.Path)).Concat(DirectKeys)
            .Where(k => !Ignored.Contains(k, StringComparer.OrdinalIgnoreCase));

    private static IEnumerable<string> KeysOf(Type type, string prefix)
    {
        foreach (var property in Settable(type))
        {
            var key = $"{prefix}:{property.Name}";
            var propertyType = property.PropertyType;
            if (IsLeaf(propertyType) || DictionaryValue(propertyType) is not null)
            {
                yield return key;
            }
            else if (ItemType(propertyType) is { } item)
            {
                if (IsLeaf(item))
                {
                    yield return key;
                }
                else
                {
                    foreach (var nested in KeysOf(item, key + ":0"))
                    {
                        yield return nested;
                    }
                }
            }
            else
            {
                foreach (var nested in KeysOf(propertyType, key))
                {
                    yield return nested;
                }
            }
        }
    }

    private static bool Resolves(Type type, ReadOnlySpan<string> segments)
    {
        while (segments.Length > 0)
        {
            type = Nullable.GetUnderlyingType(type) ?? type;
            var segment = segments[0];
            if (IsLeaf(type))
            {
                return false;
            }

            if (DictionaryValue(type) is { } value)
            {
                type = value;
            }
            else if (ItemType(type) is { } item)
            {
                if (!int.TryParse(segment, out _) && !IsPlaceholder(segment))
                {
                    return false;
                }

                type = item;
            }
            else if (Property(type, segment) is { } property)
            {
                type = property.PropertyType;
            }
            else
            {
                return false;
            }

            segments = segments[1..];
        }

        return true;
    }

    private static bool IsPlaceholder(string segment) => segment.Length > 2 && segment[0] == '<' && segment[^1] == '>';

    private static PropertyInfo? Property(Type type, string name) =>
        Settable(type).FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    private static IEnumerable<PropertyInfo> Settable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true });

    private static bool IsLeaf(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan)
            || type == typeof(DateTimeOffset) || type == typeof(Uri);
    }

    private static Type? DictionaryValue(Type type) =>
        Generic(type, typeof(IReadOnlyDictionary<,>)) is { } args && args[0] == typeof(string) ? args[1] : null;

    private static Type? ItemType(Type type) =>
        type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type) && Generic(type, typeof(IEnumerable<>)) is { } args ? args[0] : null;

    private static Type[]? Generic(Type type, Type definition)
    {
        if (type.IsGenericType && type.GetGenericTypeDefinition() == definition)
        {
            return type.GetGenericArguments();
        }

        return type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == definition)?.GetGenericArguments();
    }
}
