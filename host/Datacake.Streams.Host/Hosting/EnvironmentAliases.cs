namespace Datacake.Streams.Hosting;

/// <summary>
/// Short environment variables, as ops/services.sh writes them and the design names them, mapped onto
/// configuration keys. The usual <c>Section__Key</c> variables still work and win over these.
/// </summary>
public static class EnvironmentAliases
{
    private static readonly (string Variable, string Key)[] _aliases =
    [
        ("DCS_DATA_DIR", "Streams:DataDirectory"),
        ("DCS_ROLES", "Streams:Roles"),
        ("DCS_RECORD_LOG", "Streams:RecordLog"),
        ("DCS_HTTP_URL", "Streams:HttpUrl"),
        ("DCS_HTTPS_URL", "Streams:HttpsUrl"),
        ("DCS_CERTIFICATE", "Streams:CertificatePath"),
        ("DCS_KAFKA_BOOTSTRAP", "RecordLog:Kafka:BootstrapServers"),
        ("DCS_INFLUX_URL", "Influx:Url"),
        ("DCS_INFLUX_USER", "Influx:User"),
        ("DCS_INFLUX_PASSWORD", "Influx:Password"),
        ("DCS_INFLUX_DATABASE", "Influx:Database"),
        ("DCS_OPERATOR_TOKEN", "Access:OperatorToken"),
        ("DCS_INFLUX_BACKUP_HOST", "Influx:BackupHost"),
        ("DCS_BACKUP_DIR", "Backup:Directory"),
        ("DCS_BACKUP_SECONDARY_DIR", "Backup:SecondaryDirectory"),
    ];

    /// <summary>Every alias and the key it sets (docs/CONFIGURATION.md lists them; a unit test checks each key exists).</summary>
    public static IReadOnlyList<(string Variable, string Key)> Map => _aliases;

    public static IEnumerable<KeyValuePair<string, string?>> FromEnvironment()
    {
        foreach (var (variable, key) in _aliases)
        {
            var value = Environment.GetEnvironmentVariable(variable);
            if (!string.IsNullOrEmpty(value))
            {
                yield return new KeyValuePair<string, string?>(key, value);
            }
        }
    }
}
