using System.Globalization;

namespace Datacake.Streams.IntegrationTests.Services;

/// <summary>
/// Where the real servers started by <c>ops/services.sh up</c> are. Each key is taken from the process
/// environment first, then from the file named by <c>DCS_SERVICES_ENV</c>, else from <c>.services/env</c>
/// in the repo root (the folder holding Datacake.Streams.sln, found by walking up from the test binaries).
/// </summary>
public sealed class ServiceEndpoints
{
    /// <summary>What every "server missing" message ends with.</summary>
    public const string StartHint = "start the services: ops/services.sh up";

    public const string EnvFileVariable = "DCS_SERVICES_ENV";

    private static readonly string[] _keys =
    [
        "DCS_INFLUX_URL", "DCS_INFLUX_USER", "DCS_INFLUX_PASSWORD", "DCS_INFLUX_BACKUP_HOST", "DCS_INFLUX_DATA_DIR",
        "DCS_MQTT_HOST", "DCS_MQTT_PORT", "DCS_MQTT_TLS_PORT", "DCS_MQTT_USER", "DCS_MQTT_PASSWORD", "DCS_MQTT_CA_FILE",
    ];

    // PublicationOnly: a failed load is not cached, so a later access after `ops/services.sh up` succeeds.
    private static readonly Lazy<ServiceEndpoints> _current = new(Load, LazyThreadSafetyMode.PublicationOnly);

    private readonly IReadOnlyDictionary<string, string> _values;

    private ServiceEndpoints(IReadOnlyDictionary<string, string> values) => _values = values;

    /// <summary>The endpoints of this machine; throws <see cref="InvalidOperationException"/> naming the script when none are known.</summary>
    public static ServiceEndpoints Current => _current.Value;

    /// <summary>Where the values came from (for messages).</summary>
    public string Source { get; private init; } = "";

    public string InfluxUrl => _values["DCS_INFLUX_URL"];

    public string InfluxUser => _values["DCS_INFLUX_USER"];

    public string InfluxPassword => _values["DCS_INFLUX_PASSWORD"];

    /// <summary>host:port of influxd's backup/restore RPC (no auth; loopback only).</summary>
    public string InfluxBackupHost => _values["DCS_INFLUX_BACKUP_HOST"];

    /// <summary>influxd's [data] dir; meta/ and wal/ are its siblings.</summary>
    public string InfluxDataDir => _values["DCS_INFLUX_DATA_DIR"];

    public string MqttHost => _values["DCS_MQTT_HOST"];

    /// <summary>Plain MQTT listener (loopback only).</summary>
    public int MqttPort => Port("DCS_MQTT_PORT");

    /// <summary>MQTT over TLS; validate the server against <see cref="MqttCaFile"/>.</summary>
    public int MqttTlsPort => Port("DCS_MQTT_TLS_PORT");

    public string MqttUser => _values["DCS_MQTT_USER"];

    public string MqttPassword => _values["DCS_MQTT_PASSWORD"];

    /// <summary>PEM of the broker's self-signed certificate, to be trusted as the only CA.</summary>
    public string MqttCaFile => _values["DCS_MQTT_CA_FILE"];

    /// <summary>
    /// Builds endpoints from <paramref name="environment"/> (a key lookup) and, for keys it lacks, the env file
    /// chosen as described on the class. Public so that the lookup order itself can be tested.
    /// </summary>
    public static ServiceEndpoints Resolve(Func<string, string?> environment, string searchFrom)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in _keys)
        {
            if (environment(key) is { Length: > 0 } value)
            {
                values[key] = value;
            }
        }

        var source = "process environment";
        if (values.Count < _keys.Length)
        {
            var fromEnvironment = values.Count;
            var file = FindEnvFile(environment, searchFrom);
            foreach (var (key, value) in ParseEnvFile(File.ReadAllText(file)))
            {
                values.TryAdd(key, value);
            }

            source = fromEnvironment == 0 ? file : $"process environment and {file}";
            var missing = _keys.Where(k => !values.ContainsKey(k)).ToArray();
            if (missing.Length > 0)
            {
                throw new InvalidOperationException(
                    $"{string.Join(", ", missing)} not set in the environment nor in {file}: {StartHint}");
            }
        }

        return new ServiceEndpoints(values) { Source = source };
    }

    /// <summary>KEY=VALUE lines; blank lines and lines starting with # are skipped; surrounding quotes are removed.</summary>
    public static IReadOnlyDictionary<string, string> ParseEnvFile(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new FormatException($"not a KEY=VALUE line in the services env file: '{line}'");
            }

            var value = line[(equals + 1)..].Trim();
            if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0])
            {
                value = value[1..^1];
            }

            values[line[..equals].Trim()] = value;
        }

        return values;
    }

    private int Port(string key) =>
        int.TryParse(_values[key], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
            ? port
            : throw new InvalidOperationException($"{key}='{_values[key]}' from {Source} is not a TCP port: {StartHint}");

    private static ServiceEndpoints Load() => Resolve(Environment.GetEnvironmentVariable, AppContext.BaseDirectory);

    private static string FindEnvFile(Func<string, string?> environment, string searchFrom)
    {
        if (environment(EnvFileVariable) is { Length: > 0 } named)
        {
            return File.Exists(named)
                ? named
                : throw new InvalidOperationException($"{EnvFileVariable}={named} names no file: {StartHint}");
        }

        for (var dir = new DirectoryInfo(searchFrom); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Datacake.Streams.sln")))
            {
                var env = Path.Combine(dir.FullName, ".services", "env");
                return File.Exists(env)
                    ? env
                    : throw new InvalidOperationException($"no service endpoints: {env} does not exist: {StartHint}");
            }
        }

        throw new InvalidOperationException(
            $"no service endpoints: DCS_* variables unset, {EnvFileVariable} unset, and no Datacake.Streams.sln above {searchFrom}: {StartHint}");
    }
}
