using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Mesh.Node.LocalChain;

/// <summary>
/// The SQLite file behind the local chain. Several node processes of one machine share it (the seed README's
/// three-node local mesh), so: WAL journaling (readers never block the writer), a busy timeout (a writer waits for
/// another process's lock instead of failing), and every write in one <c>BEGIN IMMEDIATE</c> transaction (the write
/// lock is taken up front, so two processes cannot both read-then-write the same state). Connections come from
/// Microsoft.Data.Sqlite's pool; one per operation, so the type is thread-safe.
/// </summary>
internal sealed class LocalChainDatabase
{
    public const int SchemaVersion = 1;

    private readonly string _connectionString;

    private LocalChainDatabase(string connectionString, string path)
    {
        _connectionString = connectionString;
        Path = path;
    }

    public string Path { get; }

    public static LocalChainDatabase Open(string path, bool reset, TimeSpan busyTimeout)
    {
        // Microsoft.Data.Sqlite finds its native provider through reflection on first use, which native AOT trims:
        // initialise the bundled e_sqlite3 provider with a direct call instead (idempotent).
        SQLitePCL.Batteries_V2.Init();
        string full = System.IO.Path.GetFullPath(path);
        string? directory = System.IO.Path.GetDirectoryName(full);
        if (directory is not null && !Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"'{directory}' (for the local chain database '{path}')");
        }
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = Math.Max(1, (int)busyTimeout.TotalSeconds),
        };
        var db = new LocalChainDatabase(builder.ToString(), full);
        db.Initialise(busyTimeout, reset);
        return db;
    }

    /// <summary>An open connection with the per-connection pragmas set.</summary>
    public SqliteConnection Connect()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using SqliteCommand pragmas = connection.CreateCommand();
        pragmas.CommandText = "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";
        pragmas.ExecuteNonQuery();
        return connection;
    }

    /// <summary>Runs <paramref name="work"/> in one immediate (write-locking) transaction and commits it.</summary>
    public T Write<T>(Func<SqliteConnection, SqliteTransaction, T> work)
    {
        using SqliteConnection connection = Connect();
        using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
        T result = work(connection, transaction);
        transaction.Commit();
        return result;
    }

    /// <summary>Runs <paramref name="work"/> in one read transaction (a consistent snapshot of the file).</summary>
    public T Read<T>(Func<SqliteConnection, SqliteTransaction, T> work)
    {
        using SqliteConnection connection = Connect();
        using SqliteTransaction transaction = connection.BeginTransaction(deferred: true);
        T result = work(connection, transaction);
        transaction.Commit();
        return result;
    }

    /// <summary>
    /// Creates the schema. A reset drops every table first, inside the file rather than by deleting it: another local
    /// node process (or a pooled connection) holding the old file open would otherwise keep using the unlinked copy.
    /// </summary>
    private void Initialise(TimeSpan busyTimeout, bool reset)
    {
        using SqliteConnection connection = Connect();
        using (SqliteCommand pragma = connection.CreateCommand())
        {
            pragma.CommandText = $"PRAGMA busy_timeout = {(int)busyTimeout.TotalMilliseconds}; PRAGMA journal_mode = WAL;";
            pragma.ExecuteNonQuery();
        }
        using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
        if (reset)
        {
            using SqliteCommand drop = connection.CreateCommand();
            drop.Transaction = transaction;
            drop.CommandText = "DROP TABLE IF EXISTS attestations; DROP TABLE IF EXISTS submissions; DROP TABLE IF EXISTS elections; " +
                "DROP TABLE IF EXISTS stakes; DROP TABLE IF EXISTS nodes; DROP TABLE IF EXISTS hotkeys; DROP TABLE IF EXISTS subnets; DROP TABLE IF EXISTS meta;";
            drop.ExecuteNonQuery();
        }
        using (SqliteCommand schema = connection.CreateCommand())
        {
            schema.Transaction = transaction;
            schema.CommandText = Schema;
            schema.ExecuteNonQuery();
        }
        string? version = GetMeta(connection, transaction, "schema_version");
        if (version is null)
        {
            SetMeta(connection, transaction, "schema_version", SchemaVersion.ToString(CultureInfo.InvariantCulture));
        }
        else if (version != SchemaVersion.ToString(CultureInfo.InvariantCulture))
        {
            throw new LocalChainException($"{Path} has local chain schema version {version}, this mesh uses {SchemaVersion}; start with --new_swarm to recreate it");
        }
        transaction.Commit();
    }

    public static string? GetMeta(SqliteConnection connection, SqliteTransaction transaction, string key)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT value FROM meta WHERE key = $key";
        command.Parameters.AddWithValue("$key", key);
        return command.ExecuteScalar() as string;
    }

    public static void SetMeta(SqliteConnection connection, SqliteTransaction transaction, string key, string value)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO meta(key, value) VALUES ($key, $value) ON CONFLICT(key) DO UPDATE SET value = excluded.value";
        command.Parameters.AddWithValue("$key", key);
        command.Parameters.AddWithValue("$value", value);
        command.ExecuteNonQuery();
    }

    // Amounts (u128 wei) are TEXT in decimal: SQLite integers are 64-bit.
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS subnets (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            repo TEXT NOT NULL UNIQUE,
            description TEXT NOT NULL,
            misc TEXT NOT NULL,
            state INTEGER NOT NULL,
            start_epoch INTEGER NOT NULL,
            owner BLOB NOT NULL,
            slot INTEGER NOT NULL UNIQUE,
            min_stake TEXT NOT NULL,
            max_stake TEXT NOT NULL,
            delegate_stake_percentage TEXT NOT NULL,
            delegate_stake TEXT NOT NULL,
            initial_coldkeys TEXT NOT NULL,
            key_types TEXT NOT NULL,
            bootnodes TEXT NOT NULL,
            idle_epochs INTEGER NOT NULL,
            included_epochs INTEGER NOT NULL,
            next_node_id INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS hotkeys (hotkey BLOB PRIMARY KEY, coldkey BLOB NOT NULL);
        CREATE TABLE IF NOT EXISTS nodes (
            subnet_id INTEGER NOT NULL REFERENCES subnets(id),
            id INTEGER NOT NULL,
            hotkey BLOB NOT NULL UNIQUE,
            peer_id TEXT NOT NULL,
            bootnode_peer_id TEXT NOT NULL,
            client_peer_id TEXT NOT NULL,
            bootnode TEXT,
            registered_epoch INTEGER NOT NULL,
            queued INTEGER NOT NULL,
            delegate_reward_rate TEXT NOT NULL,
            unique_param BLOB,
            non_unique BLOB,
            PRIMARY KEY (subnet_id, id));
        CREATE TABLE IF NOT EXISTS stakes (
            hotkey BLOB NOT NULL, subnet_id INTEGER NOT NULL, amount TEXT NOT NULL, PRIMARY KEY (hotkey, subnet_id));
        CREATE TABLE IF NOT EXISTS elections (
            subnet_id INTEGER NOT NULL, epoch INTEGER NOT NULL, node_id INTEGER NOT NULL, PRIMARY KEY (subnet_id, epoch));
        CREATE TABLE IF NOT EXISTS submissions (
            subnet_id INTEGER NOT NULL, epoch INTEGER NOT NULL, validator_id INTEGER NOT NULL, block INTEGER NOT NULL,
            progress TEXT NOT NULL, scores TEXT NOT NULL, subnet_nodes TEXT NOT NULL,
            prioritize_queue_node_id INTEGER, remove_queue_node_id INTEGER, args BLOB,
            PRIMARY KEY (subnet_id, epoch));
        CREATE TABLE IF NOT EXISTS attestations (
            subnet_id INTEGER NOT NULL, epoch INTEGER NOT NULL, node_id INTEGER NOT NULL, block INTEGER NOT NULL,
            progress TEXT NOT NULL, data BLOB,
            PRIMARY KEY (subnet_id, epoch, node_id));
        """;
}
