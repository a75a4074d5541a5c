using System.Text.Json.Nodes;
using Npgsql;

namespace BackupTools.Core.Engines.Postgres;

/// <summary>Facts about a server and database read over a connection: version, size, encoding, tables and row counts.</summary>
public static class PostgresInspector
{
    /// <summary>Tables with more estimated rows than this get an estimate instead of an exact count(*).</summary>
    public const long ExactCountLimit = 1_000_000;

    public static NpgsqlConnection Open(PostgresTarget target, string database)
    {
        var connection = new NpgsqlConnection(target.ConnectionString(database));
        try
        {
            connection.Open();
            return connection;
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            connection.Dispose();
            throw PostgresErrors.Map(e, target, database);
        }
    }

    public static int ServerMajor(NpgsqlConnection connection) => connection.PostgreSqlVersion.Major;

    public static IReadOnlyList<string> ListDatabases(NpgsqlConnection connection) =>
        Query(connection, "select datname from pg_database where datallowconn and not datistemplate order by datname", r => r.GetString(0));

    public static JsonObject DatabaseFacts(NpgsqlConnection connection, string database)
    {
        var (size, encoding) = Query(connection, "select pg_database_size(current_database()), pg_encoding_to_char(encoding) from pg_database where datname = current_database()",
            r => (r.GetInt64(0), r.GetString(1))).Single();
        return new JsonObject
        {
            ["serverVersion"] = connection.PostgreSqlVersion.ToString(),
            ["database"] = database,
            ["databaseBytes"] = size,
            ["encoding"] = encoding,
        };
    }

    /// <summary>Row counts per table, exact for tables up to ExactCountLimit estimated rows, estimated (reltuples) above.</summary>
    public static JsonArray TableRowCounts(NpgsqlConnection connection, NpgsqlTransaction? transaction = null)
    {
        var tables = Query(connection, """
            select n.nspname, c.relname, greatest(c.reltuples, 0)::bigint
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%'
            order by 1, 2
            """, r => (Schema: r.GetString(0), Table: r.GetString(1), Estimate: r.GetInt64(2)), transaction);
        var result = new JsonArray();
        foreach (var t in tables)
        {
            var exact = t.Estimate <= ExactCountLimit;
            var rows = exact
                ? Query(connection, $"select count(*) from {Quote(t.Schema)}.{Quote(t.Table)}", r => r.GetInt64(0), transaction).Single()
                : t.Estimate;
            result.Add(new JsonObject { ["schema"] = t.Schema, ["table"] = t.Table, ["rows"] = rows, ["exact"] = exact });
        }
        return result;
    }

    /// <summary>
    /// Client sessions on the database besides ours. Autovacuum workers do not count (PostgreSQL cancels them
    /// itself for a rename or drop), and a session closed a moment ago can still be listed while its backend
    /// exits, so a non-zero count is read again for up to a second before it is believed.
    /// </summary>
    public static int OtherConnections(NpgsqlConnection connection, string database)
    {
        var sql = "select count(*)::int from pg_stat_activity where datname = @db and pid <> pg_backend_pid()"
            + (ServerMajor(connection) >= 10 ? " and backend_type = 'client backend'" : "");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var count = Query(connection, sql, r => r.GetInt32(0), null, ("db", database)).Single();
            if (count == 0 || clock.Elapsed > TimeSpan.FromSeconds(1)) return count;
            Thread.Sleep(50);
        }
    }

    public static void TerminateConnections(NpgsqlConnection connection, string database) =>
        Query(connection, "select pg_terminate_backend(pid) from pg_stat_activity where datname = @db and pid <> pg_backend_pid()", r => r.GetBoolean(0), null, ("db", database));

    public static void Execute(NpgsqlConnection connection, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";

    public static List<T> Query<T>(NpgsqlConnection connection, string sql, Func<NpgsqlDataReader, T> read, NpgsqlTransaction? transaction = null, params (string Name, object Value)[] parameters)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read()) rows.Add(read(reader));
        return rows;
    }
}
