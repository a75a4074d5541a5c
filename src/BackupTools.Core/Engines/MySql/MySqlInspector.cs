using System.Text.Json.Nodes;
using MySqlConnector;

namespace BackupTools.Core.Engines.MySql;

/// <summary>Facts read over a connection: flavour/version, databases, tables with engines and row counts, binlog state.</summary>
public static class MySqlInspector
{
    public const long ExactCountLimit = 1_000_000;
    public static readonly string[] SystemDatabases = ["mysql", "information_schema", "performance_schema", "sys"];

    public static MySqlConnection Open(MySqlTarget target, string? database)
    {
        var connection = new MySqlConnection(target.ConnectionString(database));
        try
        {
            connection.Open();
            return connection;
        }
        catch (MySqlException e)
        {
            connection.Dispose();
            throw MySqlErrors.Map(e, target, database);
        }
    }

    public static MySqlDialect Dialect(MySqlConnection connection) => MySqlDialect.From(connection.ServerVersion);

    public static IReadOnlyList<string> ListDatabases(MySqlConnection connection, bool includeSystem) =>
        Query(connection, "show databases", r => r.GetString(0)).Where(d => includeSystem || !SystemDatabases.Contains(d, StringComparer.OrdinalIgnoreCase)).ToList();

    public sealed record TableInfo(string Name, string Engine, long Rows, bool Exact);

    /// <summary>Base tables with their storage engine and the server's row estimate (no counting: quick).</summary>
    public static IReadOnlyList<(string Name, string Engine, long Estimate)> TableEngines(MySqlConnection connection, string database) =>
        Query(connection, "select table_name, coalesce(engine, ''), coalesce(table_rows, 0) from information_schema.tables where table_schema = @db and table_type = 'BASE TABLE' order by table_name",
            r => (r.GetString(0), r.GetString(1), r.GetInt64(2)), ("db", database));

    /// <summary>Base tables with their storage engine and row counts (exact up to ExactCountLimit estimated rows).</summary>
    public static IReadOnlyList<TableInfo> Tables(MySqlConnection connection, string database)
    {
        var tables = TableEngines(connection, database);
        return tables.Select(t => t.Estimate <= ExactCountLimit
            ? new TableInfo(t.Name, t.Engine, Query(connection, $"select count(*) from {Quote(database)}.{Quote(t.Name)}", r => r.GetInt64(0)).Single(), true)
            : new TableInfo(t.Name, t.Engine, t.Estimate, false)).ToList();
    }

    public static JsonArray ToJson(IEnumerable<TableInfo> tables) =>
        new(tables.Select(t => (JsonNode)new JsonObject { ["table"] = t.Name, ["engine"] = t.Engine, ["rows"] = t.Rows, ["exact"] = t.Exact }).ToArray());

    /// <summary>Character sets whose DDL literals mean the same bytes read as utf8mb4 or as binary (ascii can hold no other).</summary>
    private static readonly string[] Utf8Family = ["utf8mb4", "utf8mb3", "utf8", "ascii"];

    /// <summary>
    /// Whether the database can be dumped in a binary session: only when every character column is utf8/ascii.
    /// mariadb-dump/mysqldump wrap each CREATE TABLE in SET character_set_client = utf8mb4 but leave the
    /// connection charset binary, so a non-ASCII DEFAULT or ENUM member of a latin1/sjis/… column would be
    /// stored as raw utf8 bytes on replay (and rows with that ENUM value load as '').
    /// </summary>
    public static bool BinarySessionSafe(MySqlConnection connection, string database) =>
        Query(connection, "select distinct lower(character_set_name) from information_schema.columns where table_schema = @db and character_set_name is not null",
            r => r.GetString(0), ("db", database)).All(cs => Utf8Family.Contains(cs));

    public static bool BinlogEnabled(MySqlConnection connection) =>
        Query(connection, "select @@global.log_bin", r => Convert.ToInt64(r.GetValue(0))).Single() == 1;

    /// <summary>The database's default character set and collation (a restore creates the database with them).</summary>
    public static (string CharacterSet, string Collation) SchemaDefaults(MySqlConnection connection, string database) =>
        Query(connection, "select default_character_set_name, default_collation_name from information_schema.schemata where schema_name = @db",
            r => (r.GetString(0), r.GetString(1)), ("db", database)).Single();

    public static bool GtidOn(MySqlConnection connection, MySqlDialect dialect) =>
        dialect.GtidModeQuery is { } sql && Query(connection, sql, r => r.GetString(0)).Single().Equals("ON", StringComparison.OrdinalIgnoreCase);

    /// <summary>MySQL's Executed_Gtid_Set from SHOW MASTER STATUS / SHOW BINARY LOG STATUS (whichever the server has).</summary>
    public static string? ExecutedGtidSet(MySqlConnection connection, MySqlDialect dialect)
    {
        using var command = new MySqlCommand(dialect.BinlogStatusQuery, connection);
        using var reader = command.ExecuteReader();
        if (!reader.Read()) return null;
        var column = reader.GetOrdinal("Executed_Gtid_Set");
        return reader.IsDBNull(column) ? null : reader.GetString(column);
    }

    public static string Quote(string identifier) => "`" + identifier.Replace("`", "``") + "`";

    public static List<T> Query<T>(MySqlConnection connection, string sql, Func<MySqlDataReader, T> read, params (string Name, object Value)[] parameters)
    {
        using var command = new MySqlCommand(sql, connection);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read()) rows.Add(read(reader));
        return rows;
    }
}
