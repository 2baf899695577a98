using System.Globalization;
using System.Text;
using Datacake.Streams.Access;
using Datacake.Streams.Backups;
using Datacake.Streams.Influx.Client;
using Datacake.Streams.Influx.Querying;
using Datacake.Streams.IntegrationTests.Services;
using Datacake.Streams.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Datacake.Streams.IntegrationTests.Backups;

/// <summary>
/// A database on the shared influxd with the policies of docs/DATA-MODEL.md (raw default, m1, h1, meta), a real
/// SQLite metadata file holding token hashes (the secrets stay in memory for the scan), and both backup sites in a
/// temp folder. Everything is dropped or deleted afterwards, including databases restored from it.
/// </summary>
public sealed class BackupTestBed : IAsyncDisposable
{
    private readonly List<string> _extraDatabases = [];

    private BackupTestBed(string database, InfluxClient influx, string folder)
    {
        Database = database;
        Influx = influx;
        Folder = folder;
        Options = new BackupOptions
        {
            Directory = Path.Combine(folder, "primary"),
            SecondaryDirectory = Path.Combine(folder, "secondary"),
            BackupHost = ServiceEndpoints.Current.InfluxBackupHost,
            CountLag = TimeSpan.FromSeconds(1),
            ToolTimeout = TimeSpan.FromMinutes(2),
        };
        MetadataFile = Path.Combine(folder, "metadata.db");
        Snapshot = new SqliteSnapshot(MetadataFile);
        Service = new BackupService(influx, Options, Options.Directory!, TimeProvider.System, NullLogger<BackupService>.Instance, Snapshot);
        Restorer = new BackupRestorer(Service, TimeProvider.System);
    }

    public string Database { get; }

    public InfluxClient Influx { get; }

    public string Folder { get; }

    public BackupOptions Options { get; }

    public string MetadataFile { get; }

    public SqliteSnapshot Snapshot { get; }

    public BackupService Service { get; }

    public BackupRestorer Restorer { get; }

    /// <summary>Secrets of the tokens whose hashes the metadata file holds.</summary>
    public List<string> TokenSecrets { get; } = [];

    public static async Task<BackupTestBed> CreateAsync()
    {
        var endpoints = ServiceEndpoints.Current;
        var database = $"test_bk_{Guid.NewGuid():N}";
        var influx = new InfluxClient(new InfluxOptions
        {
            Url = new Uri(endpoints.InfluxUrl),
            Database = database,
            User = endpoints.InfluxUser,
            Password = endpoints.InfluxPassword,
            MaxRetries = 1,
            RequestTimeout = TimeSpan.FromSeconds(60),
        });
        try
        {
            await influx.PingAsync();
        }
        catch (InfluxException ex)
        {
            throw new InvalidOperationException($"influxd at {endpoints.InfluxUrl} is not answering ({ex.Message}): {ServiceEndpoints.StartHint}", ex);
        }

        var db = InfluxQl.QuoteIdentifier(database);
        await influx.ExecuteAsync($"CREATE DATABASE {db} WITH DURATION 30d NAME raw");
        await influx.ExecuteAsync($"CREATE RETENTION POLICY m1 ON {db} DURATION 365d REPLICATION 1");
        await influx.ExecuteAsync($"CREATE RETENTION POLICY h1 ON {db} DURATION 1825d REPLICATION 1");
        await influx.ExecuteAsync($"CREATE RETENTION POLICY meta ON {db} DURATION 14d REPLICATION 1");
        var bed = new BackupTestBed(database, influx, Directory.CreateTempSubdirectory("dcs-backup-test-").FullName);
        await bed.CreateMetadataStoreAsync();
        return bed;
    }

    /// <summary>Writes line protocol (ns timestamps) to a policy.</summary>
    public Task WriteAsync(string policy, string lines) => Influx.WriteAsync(Encoding.UTF8.GetBytes(lines), policy);

    /// <summary>
    /// Points of a device in its own measurement (policy raw or meta), as "time field=value,..." lines sorted, for
    /// value comparisons.
    /// </summary>
    public async Task<IReadOnlyList<string>> PointsAsync(string database, string policy, string device)
    {
        var result = await Influx.QueryAsync(
            $"SELECT * FROM {InfluxQl.QuoteIdentifier(database)}.{InfluxQl.QuoteIdentifier(policy)}.{InfluxQl.QuoteIdentifier(device)} WHERE device = {InfluxQl.QuoteString(device)}",
            database);
        var lines = new List<string>();
        foreach (var series in result.Statements[0].Series)
        {
            foreach (var row in series.Values)
            {
                lines.Add(string.Join(' ', series.Columns.Select((c, i) => $"{c}={row[i]}")));
            }
        }

        return [.. lines.Order(StringComparer.Ordinal)];
    }

    public async Task<long> CountAsync(string database, string policy, string field)
    {
        var result = await Influx.QueryAsync(
            $"SELECT count({InfluxQl.QuoteIdentifier(field)}) FROM {InfluxQl.QuoteIdentifier(database)}.{InfluxQl.QuoteIdentifier(policy)}.{StorageLayout.AllDevicesPattern}",
            database);
        return result.Statements[0].Series.Where(s => s.Values.Count > 0).Sum(s => s.GetInt64(0, "count"));
    }

    /// <summary>The start of a line-protocol line of <paramref name="device"/>: its own measurement, tagged with its id.</summary>
    public static string LineOf(string device) => $"{device},device={device}";

    /// <summary>Remembers a database made from this bed (a restore) so that it is dropped at the end.</summary>
    public void Owns(string database) => _extraDatabases.Add(database);

    public async ValueTask DisposeAsync()
    {
        foreach (var database in _extraDatabases.Append(Database))
        {
            await Influx.ExecuteAsync($"DROP DATABASE {InfluxQl.QuoteIdentifier(database)}");
        }

        Influx.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(Folder, recursive: true);
    }

    private async Task CreateMetadataStoreAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={MetadataFile}");
        await connection.OpenAsync();
        await using (var create = connection.CreateCommand())
        {
            create.CommandText = """
                PRAGMA journal_mode=WAL;
                CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL);
                CREATE TABLE tokens (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, name TEXT NOT NULL, hash BLOB NOT NULL);
                """;
            await create.ExecuteNonQueryAsync();
        }

        for (var i = 0; i < 5; i++)
        {
            var token = AccessToken.New();
            TokenSecrets.Add(token.Secret);
            await using var insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO users VALUES ($u, $e); INSERT INTO tokens VALUES ($t, $u, $n, $h);";
            insert.Parameters.AddWithValue("$u", $"usr_{i}");
            insert.Parameters.AddWithValue("$e", $"user{i}@example.com");
            insert.Parameters.AddWithValue("$t", $"tok_{i}");
            insert.Parameters.AddWithValue("$n", string.Create(CultureInfo.InvariantCulture, $"token {i}"));
            insert.Parameters.AddWithValue("$h", Convert.FromHexString(TokenHash.Of(token.Secret).ToHex()));
            await insert.ExecuteNonQueryAsync();
        }
    }
}

/// <summary>The metadata seam over a real SQLite file: the online backup API, as the metadata store will do it.</summary>
public sealed class SqliteSnapshot(string path) : IMetadataSnapshot
{
    public async Task WriteSnapshotAsync(string destinationPath, CancellationToken cancellationToken)
    {
        await using var source = new SqliteConnection($"Data Source={path}");
        await source.OpenAsync(cancellationToken);
        await using var destination = new SqliteConnection($"Data Source={destinationPath};Pooling=False");
        await destination.OpenAsync(cancellationToken);
        source.BackupDatabase(destination);
    }
}
