using System.Text.RegularExpressions;
using MySqlConnector;

namespace BackupTools.Core.Engines.MySql;

/// <summary>A trigger, view, routine or event as SHOW CREATE gives it, with the session settings it was defined under.</summary>
public sealed record MySqlSchemaObject(string Kind, string Name, string Definition, string? SqlMode, string? TimeZone);

/// <summary>
/// The schema-bound objects of a database. RENAME TABLE moves tables between schemas but not these:
/// triggers block a cross-schema rename, views/routines/events stay behind. So a restore reads them from
/// the staging database and re-creates them in the target with the schema name rewritten.
/// </summary>
public static class MySqlSchemaObjects
{
    /// <summary>Reads every object of <paramref name="schema"/>; connect with it as the default database so view bodies come unqualified.</summary>
    public static IReadOnlyList<MySqlSchemaObject> Read(MySqlConnection connection, string schema)
    {
        var q = MySqlInspector.Quote(schema);
        var objects = new List<MySqlSchemaObject>();
        foreach (var name in Names(connection, "select trigger_name from information_schema.triggers where trigger_schema = @s order by event_object_table, action_timing, event_manipulation, action_order", schema))
            objects.Add(Show(connection, "TRIGGER", name, $"show create trigger {q}.{MySqlInspector.Quote(name)}", 2, 1, null));
        foreach (var name in Names(connection, "select table_name from information_schema.views where table_schema = @s order by table_name", schema))
            objects.Add(Show(connection, "VIEW", name, $"show create view {q}.{MySqlInspector.Quote(name)}", 1, null, null));
        foreach (var kind in new[] { "FUNCTION", "PROCEDURE" })
            foreach (var name in Names(connection, $"select routine_name from information_schema.routines where routine_schema = @s and routine_type = '{kind}' order by routine_name", schema))
                objects.Add(Show(connection, kind, name, $"show create {kind.ToLowerInvariant()} {q}.{MySqlInspector.Quote(name)}", 2, 1, null));
        foreach (var name in Names(connection, "select event_name from information_schema.events where event_schema = @s order by event_name", schema))
            objects.Add(Show(connection, "EVENT", name, $"show create event {q}.{MySqlInspector.Quote(name)}", 3, 1, 2));
        return objects;
    }

    public static void Drop(MySqlConnection connection, string schema, IEnumerable<MySqlSchemaObject> objects)
    {
        foreach (var o in objects)
            Execute(connection, $"drop {o.Kind.ToLowerInvariant()} if exists {MySqlInspector.Quote(schema)}.{MySqlInspector.Quote(o.Name)}");
    }

    /// <summary>
    /// Creates the objects in the connection's default database. A view may select from a view not yet
    /// created, so failed views are retried until a round makes no progress.
    /// </summary>
    public static void Create(MySqlConnection connection, IEnumerable<MySqlSchemaObject> objects, string fromSchema, string toSchema)
    {
        var savedMode = MySqlInspector.Query(connection, "select @@session.sql_mode, @@session.time_zone", r => (r.GetString(0), r.GetString(1))).Single();
        // Views may call functions; events and triggers may use anything, and triggers go last (tables are in place by now).
        string[] order = ["FUNCTION", "PROCEDURE", "VIEW", "EVENT"];
        var pending = objects.Where(o => o.Kind != "TRIGGER").OrderBy(o => Array.IndexOf(order, o.Kind)).ToList();
        while (pending.Count > 0)
        {
            var failed = new List<MySqlSchemaObject>();
            MySqlException? last = null;
            foreach (var o in pending)
            {
                try { CreateOne(connection, o, fromSchema, toSchema); }
                catch (MySqlException e) when (o.Kind == "VIEW") { failed.Add(o); last = e; }
            }
            if (failed.Count == pending.Count) throw last!;
            pending = failed;
        }
        foreach (var trigger in objects.Where(o => o.Kind == "TRIGGER")) CreateOne(connection, trigger, fromSchema, toSchema);
        Execute(connection, "set session sql_mode = @m, time_zone = @z", ("m", savedMode.Item1), ("z", savedMode.Item2));
    }

    /// <summary>
    /// Rewrites explicit qualifiers `from`. / from. to the target schema. String literals are skipped, so
    /// data that merely mentions the name stays as it was.
    /// </summary>
    public static string Rewrite(string definition, string fromSchema, string toSchema)
    {
        if (fromSchema == toSchema) return definition;
        var pattern = $@"'(?:[^'\\]|\\.|'')*'|""(?:[^""\\]|\\.|"""")*""|(?<![\w$`.])(`{Regex.Escape(fromSchema.Replace("`", "``"))}`|{Regex.Escape(fromSchema)}(?![\w$]))(?=\s*\.)";
        return Regex.Replace(definition, pattern, m => m.Groups[1].Success ? MySqlInspector.Quote(toSchema) : m.Value);
    }

    private static void CreateOne(MySqlConnection connection, MySqlSchemaObject o, string fromSchema, string toSchema)
    {
        if (o.SqlMode != null) Execute(connection, "set session sql_mode = @m", ("m", o.SqlMode));
        if (o.TimeZone != null) Execute(connection, "set session time_zone = @z", ("z", o.TimeZone));
        Execute(connection, Rewrite(o.Definition, fromSchema, toSchema));
    }

    private static List<string> Names(MySqlConnection connection, string sql, string schema) =>
        MySqlInspector.Query(connection, sql, r => r.GetString(0), ("s", schema));

    private static MySqlSchemaObject Show(MySqlConnection connection, string kind, string name, string sql, int definition, int? sqlMode, int? timeZone) =>
        MySqlInspector.Query(connection, sql, r => new MySqlSchemaObject(kind, name,
            r.IsDBNull(definition) ? throw new Errors.BackupToolsException("MySqlDefinitionUnreadable", Errors.FailureKind.AuthenticationFailure,
                $"SHOW CREATE {kind} {name} returned no definition.", "Restore as a user that may read routine and trigger definitions (e.g. with SHOW_ROUTINE or SELECT on mysql.proc).")
                : r.GetString(definition),
            sqlMode is { } m ? r.GetString(m) : null, timeZone is { } z ? r.GetString(z) : null)).Single();

    internal static void Execute(MySqlConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = new MySqlCommand(sql, connection);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        command.ExecuteNonQuery();
    }
}
