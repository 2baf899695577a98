namespace Datacake.Streams.Hosting;

/// <summary>
/// What one process of the executable does. All three run in one process by default; scaled out, each
/// runs alone and Kafka connects them.
/// </summary>
[Flags]
public enum NodeRoles
{
    None = 0,

    /// <summary>Protocol adapters: HTTP device ingest, MQTT broker, webhooks, external broker bridge.</summary>
    Ingest = 1,

    /// <summary>The Akka.Streams pipeline from the record log to InfluxDB.</summary>
    Process = 2,

    /// <summary>Management and query API, metadata store, backups.</summary>
    Api = 4,

    All = Ingest | Process | Api,
}

public static class NodeRolesParser
{
    /// <summary>Parses "ingest,process" / "all"; unknown names are an error, not silently ignored.</summary>
    public static bool TryParse(string? text, out NodeRoles roles, out string? error)
    {
        roles = NodeRoles.None;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            roles = NodeRoles.All;
            return true;
        }

        foreach (var part in text.Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries))
        {
            switch (part.ToLowerInvariant())
            {
                case "all": roles |= NodeRoles.All; break;
                case "ingest": roles |= NodeRoles.Ingest; break;
                case "process": roles |= NodeRoles.Process; break;
                case "api": roles |= NodeRoles.Api; break;
                default:
                    error = $"unknown role '{part}': use ingest, process, api or all";
                    return false;
            }
        }

        return true;
    }
}
