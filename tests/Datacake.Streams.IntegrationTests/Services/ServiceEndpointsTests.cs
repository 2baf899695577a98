namespace Datacake.Streams.IntegrationTests.Services;

/// <summary>The lookup order of <see cref="ServiceEndpoints"/>: environment, then DCS_SERVICES_ENV, then the repo's .services/env.</summary>
public sealed class ServiceEndpointsTests : IDisposable
{
    private const string FullFile = """
        # written by ops/services.sh

        DCS_INFLUX_URL=http://127.0.0.1:8086
        DCS_INFLUX_USER=admin
        DCS_INFLUX_PASSWORD="from file"
        DCS_INFLUX_BACKUP_HOST=127.0.0.1:8088
        DCS_INFLUX_DATA_DIR=/data/influxdb/data
        DCS_MQTT_HOST=127.0.0.1
        DCS_MQTT_PORT=11883
        DCS_MQTT_TLS_PORT=18883
        DCS_MQTT_USER=dcs
        DCS_MQTT_PASSWORD=p=q
        DCS_MQTT_CA_FILE=/data/mosquitto/cert.pem
        """;

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("dcs-endpoints-");

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public void Env_file_lines_skip_blanks_and_comments_and_keep_everything_after_the_first_equals()
    {
        var values = ServiceEndpoints.ParseEnvFile(FullFile);

        Assert.Equal(11, values.Count);
        Assert.Equal("from file", values["DCS_INFLUX_PASSWORD"]);
        Assert.Equal("p=q", values["DCS_MQTT_PASSWORD"]);
    }

    [Fact]
    public void A_line_without_equals_is_a_format_error()
    {
        Assert.Throws<FormatException>(() => ServiceEndpoints.ParseEnvFile("DCS_INFLUX_URL\n"));
    }

    [Fact]
    public void The_repo_env_file_is_found_from_a_folder_below_the_solution_and_the_environment_wins()
    {
        var below = RepoWithEnvFile(FullFile);
        var environment = new Dictionary<string, string> { ["DCS_MQTT_TLS_PORT"] = "28883" };

        var endpoints = ServiceEndpoints.Resolve(environment.GetValueOrDefault, below);

        Assert.Equal("from file", endpoints.InfluxPassword);
        Assert.Equal(11883, endpoints.MqttPort);
        Assert.Equal(28883, endpoints.MqttTlsPort);
        Assert.Equal("/data/mosquitto/cert.pem", endpoints.MqttCaFile);
    }

    [Fact]
    public void The_file_named_by_DCS_SERVICES_ENV_comes_before_the_repo_file()
    {
        var below = RepoWithEnvFile(FullFile);
        var named = Path.Combine(_root.FullName, "other.env");
        File.WriteAllText(named, FullFile.Replace("from file", "from named file", StringComparison.Ordinal));
        var environment = new Dictionary<string, string> { [ServiceEndpoints.EnvFileVariable] = named };

        var endpoints = ServiceEndpoints.Resolve(environment.GetValueOrDefault, below);

        Assert.Equal("from named file", endpoints.InfluxPassword);
        Assert.Equal(named, endpoints.Source);
    }

    [Fact]
    public void Without_any_source_the_message_names_the_script()
    {
        var below = RepoWithEnvFile(contents: null);

        var error = Assert.Throws<InvalidOperationException>(
            () => ServiceEndpoints.Resolve(new Dictionary<string, string>().GetValueOrDefault, below));

        Assert.Contains("ops/services.sh up", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_missing_keys_names_them_and_the_script()
    {
        var below = RepoWithEnvFile("DCS_INFLUX_URL=http://127.0.0.1:8086\n");

        var error = Assert.Throws<InvalidOperationException>(
            () => ServiceEndpoints.Resolve(new Dictionary<string, string>().GetValueOrDefault, below));

        Assert.Contains("DCS_MQTT_CA_FILE", error.Message, StringComparison.Ordinal);
        Assert.Contains("ops/services.sh up", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_environment_variables_need_no_file()
    {
        var environment = ServiceEndpoints.ParseEnvFile(FullFile).ToDictionary();

        var endpoints = ServiceEndpoints.Resolve(environment.GetValueOrDefault, _root.FullName);

        Assert.Equal("process environment", endpoints.Source);
        Assert.Equal("http://127.0.0.1:8086", endpoints.InfluxUrl);
    }

    private string RepoWithEnvFile(string? contents)
    {
        File.WriteAllText(Path.Combine(_root.FullName, "Datacake.Streams.sln"), "");
        if (contents is not null)
        {
            Directory.CreateDirectory(Path.Combine(_root.FullName, ".services"));
            File.WriteAllText(Path.Combine(_root.FullName, ".services", "env"), contents);
        }

        return Directory.CreateDirectory(Path.Combine(_root.FullName, "tests", "bin", "Release")).FullName;
    }
}
