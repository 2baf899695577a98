using System.Globalization;

namespace Datacake.Streams.IntegrationTests.Services;

/// <summary>
/// Where the real test servers are: process environment first, then the file named by DCS_SERVICES_ENV, then
/// <c>.services/env</c> in the repo root (written by <c>ops/services.sh up</c>). Minimal stand-in; the services
/// helper owns the full version.
/// </summary>
public sealed class ServiceEndpoints
{
    private static readonly Lazy<ServiceEndpoints> s_current = new(Load);

    private readonly Dictionary<string, string> _values;

    private ServiceEndpoints(Dictionary<string, string> values) => _values = values;

    public static ServiceEndpoints Current => s_current.Value;

    public string InfluxUrl => Get("DCS_INFLUX_URL");

    public string InfluxUser => Get("DCS_INFLUX_USER");

    public string InfluxPassword => Get("DCS_INFLUX_PASSWORD");

    public string InfluxBackupHost => Get("DCS_INFLUX_BACKUP_HOST");

    public string MqttHost => Get("DCS_MQTT_HOST");

    public int MqttPort => int.Parse(Get("DCS_MQTT_PORT"), CultureInfo.InvariantCulture);

    public int MqttTlsPort => int.Parse(Get("DCS_MQTT_TLS_PORT"), CultureInfo.InvariantCulture);

    public string MqttUser => Get("DCS_MQTT_USER");

    public string MqttPassword => Get("DCS_MQTT_PASSWORD");

    public string MqttCaFile => Get("DCS_MQTT_CA_FILE");

    private string Get(string key) =>
        Environment.GetEnvironmentVariable(key) is { Length: > 0 } fromEnvironment ? fromEnvironment
        : _values.TryGetValue(key, out string? value) ? value
        : throw new InvalidOperationException($"{key} is not set: start the services: ops/services.sh up");

    private static ServiceEndpoints Load()
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        string? file = Environment.GetEnvironmentVariable("DCS_SERVICES_ENV") is { Length: > 0 } named && File.Exists(named)
            ? named
            : FindRepoEnvFile();
        if (file is not null)
        {
            foreach (string line in File.ReadAllLines(file))
            {
                int equals = line.IndexOf('=', StringComparison.Ordinal);
                if (equals > 0 && !line.StartsWith('#'))
                {
                    values[line[..equals].Trim()] = line[(equals + 1)..].Trim();
                }
            }
        }
        else if (Environment.GetEnvironmentVariable("DCS_INFLUX_URL") is null)
        {
            throw new InvalidOperationException("No service endpoints found: start the services: ops/services.sh up");
        }

        return new ServiceEndpoints(values);
    }

    private static string? FindRepoEnvFile()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Datacake.Streams.sln")))
            {
                string env = Path.Combine(dir.FullName, ".services", "env");
                return File.Exists(env) ? env : null;
            }
        }

        return null;
    }
}
