using Datacake.Streams.Files;
using Datacake.Streams.Backups;
using System.Data.Common;
using Datacake.Streams.Access;
using Microsoft.Data.Sqlite;

namespace Datacake.Streams.Api.Metadata;

/// <summary>
/// The metadata store in one SQLite file, <c>&lt;data&gt;/metadata.db</c>, in WAL mode (readers never wait for the
/// writer). Every operation opens a pooled connection, so the store is safe to share between requests.
/// </summary>
public sealed partial class SqliteMetadataStore : IMetadataStore
{
    public const string FileName = IMetadataSnapshot.FileName;

    // A writer holding the lock for longer than this is a bug; waiting 5 s beats failing a request at once.
    private const int BusyTimeoutMilliseconds = 5000;

    private readonly string _connectionString;
    private long _revision;

    private SqliteMetadataStore(string path)
    {
        Path = path;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
        }.ToString();
    }

    public string Path { get; }

    public long Revision => Interlocked.Read(ref _revision);

    /// <summary>Opens (creating it, mode 0600, when missing) the store in <paramref name="dataDirectory"/> and applies pending migrations.</summary>
    public static async Task<SqliteMetadataStore> OpenAsync(string dataDirectory, CancellationToken cancellationToken = default)
    {
        PrivateFile.CreateDirectory(dataDirectory);
        var path = System.IO.Path.Combine(dataDirectory, FileName);
        if (!File.Exists(path) && !OperatingSystem.IsWindows())
        {
            // E-mails live here: only the owner reads the file. SQLite gives the -wal and -shm files the same mode.
            using var created = PrivateFile.OpenWrite(path);
        }

        var store = new SqliteMetadataStore(path);
        await store.MigrateAsync(cancellationToken);
        return store;
    }

    /// <summary>Versions of the applied migrations, ascending.</summary>
    public async Task<IReadOnlyList<int>> AppliedMigrationsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await QueryAsync(connection, "SELECT version FROM schema_migrations ORDER BY version", static r => r.GetInt32(0), cancellationToken);
    }

    private async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, "PRAGMA journal_mode=WAL;", cancellationToken);
        await ExecuteAsync(connection, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);", cancellationToken);
        var applied = (await QueryAsync(connection, "SELECT version FROM schema_migrations", static r => r.GetInt32(0), cancellationToken)).ToHashSet();
        foreach (var (version, sql) in SqliteMigrations.Steps)
        {
            if (applied.Contains(version))
            {
                continue;
            }

            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            await ExecuteAsync(connection, sql, cancellationToken, transaction);
            await ExecuteAsync(
                connection,
                "INSERT INTO schema_migrations (version, applied_at) VALUES ($v, $t)",
                cancellationToken,
                transaction,
                ("$v", version),
                ("$t", DateTimeOffset.UtcNow.UtcTicks));
            await transaction.CommitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Opens a write: disposed when the write method returns (its transaction committed, or failed), it advances
    /// <see cref="Revision"/>. Advancing after the commit, never before, is what lets a cache trust an entry stamped
    /// with the revision read before its own lookup.
    /// </summary>
    private RevisionAdvance BeginWrite() => new(this);

    private async Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await ExecuteAsync(connection, $"PRAGMA busy_timeout={BusyTimeoutMilliseconds}; PRAGMA foreign_keys=ON;", cancellationToken);
        return connection;
    }

    private static async Task<int> ExecuteAsync(
        SqliteConnection connection,
        string sql,
        CancellationToken cancellationToken,
        SqliteTransaction? transaction = null,
        params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, sql, transaction, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<List<T>> QueryAsync<T>(
        SqliteConnection connection,
        string sql,
        Func<DbDataReader, T> read,
        CancellationToken cancellationToken,
        params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, sql, null, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, SqliteTransaction? transaction, (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    /// <summary>A <c>$p0, $p1, ...</c> list for an IN clause, with its parameters.</summary>
    private static (string List, (string Name, object? Value)[] Parameters) InList(IReadOnlyCollection<string> values)
    {
        var parameters = values.Select((v, i) => ($"$p{i}", (object?)v)).ToArray();
        return (string.Join(", ", parameters.Select(p => p.Item1)), parameters);
    }

    /// <summary>
    /// Instants are stored as UTC ticks, not Unix milliseconds: the registry carries ticks, and the start-up
    /// reconciliation compares the two exactly (a revocation instant rounded to the millisecond would read as changed).
    /// </summary>
    private static long? Ticks(DateTimeOffset? at) => at?.UtcTicks;

    private static DateTimeOffset? TimeOrNull(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : new DateTimeOffset(reader.GetInt64(ordinal), TimeSpan.Zero);

    private static DateTimeOffset Time(DbDataReader reader, int ordinal) => new(reader.GetInt64(ordinal), TimeSpan.Zero);

    private static string? TextOrNull(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static TokenHash Hash(DbDataReader reader, int ordinal) => TokenHash.FromBytes((byte[])reader.GetValue(ordinal));

    private readonly struct RevisionAdvance(SqliteMetadataStore store) : IDisposable
    {
        public void Dispose() => Interlocked.Increment(ref store._revision);
    }
}
