namespace Datacake.Streams.Benchmarks.Queries;

/// <summary>
/// The influxd of <c>ops/services.sh up</c>, found as the integration tests find it: <c>DCS_*</c> variables, then the file
/// named by <c>DCS_SERVICES_ENV</c>, then <c>.services/env</c> above the working folder.
/// </summary>
public sealed record BenchServices(string InfluxUrl, string InfluxUser, string InfluxPassword)
{
    public static BenchServices Load()
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        string? file = Environment.GetEnvironmentVariable("DCS_SERVICES_ENV");
        if (file is null)
        {
            for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Datacake.Streams.sln")))
                {
                    file = Path.Combine(dir.FullName, ".services", "env");
                    break;
                }
            }
        }

        if (file is not null && File.Exists(file))
        {
            foreach (string line in File.ReadLines(file))
            {
                int eq = line.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0)
                {
                    values[line[..eq].Trim()] = line[(eq + 1)..].Trim();
                }
            }
        }

        string Get(string key) => Environment.GetEnvironmentVariable(key) ?? values.GetValueOrDefault(key)
            ?? throw new InvalidOperationException($"{key} unknown: start the services: ops/services.sh up (or set DCS_SERVICES_ENV)");

        return new BenchServices(Get("DCS_INFLUX_URL"), Get("DCS_INFLUX_USER"), Get("DCS_INFLUX_PASSWORD"));
    }
}
