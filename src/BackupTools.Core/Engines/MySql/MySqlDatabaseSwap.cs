using BackupTools.Core.Engines.Postgres;
using BackupTools.Core.Errors;
using MySqlConnector;

namespace BackupTools.Core.Engines.MySql;

/// <summary>
/// Puts a restored staging database in place of the target. The live tables move to a `…__bt_old_…`
/// schema and the staging tables into the target in ONE atomic multi-table RENAME TABLE, so readers see
/// either the old or the new set, never a mix. Triggers must be dropped for a cross-schema rename and live
/// views could collide with incoming table names, so both go just before it (and come back if it fails);
/// the backup's triggers, views, routines and events are then re-created in the target. If anything after the rename
/// fails, the rename is reversed and the original objects re-created; the old tables are dropped only
/// once the new database is complete.
/// </summary>
internal static class MySqlDatabaseSwap
{
    private const int LockWaitSeconds = 60;

    public static void Replace(MySqlTarget target, string staging, string database, bool exists)
    {
        using var stagingConnection = MySqlInspector.Open(target, staging);
        var incoming = MySqlSchemaObjects.Read(stagingConnection, staging);
        var incomingTables = TableNames(stagingConnection, staging);
        if (!exists)
        {
            var (charset, collation) = MySqlInspector.Query(stagingConnection, "select default_character_set_name, default_collation_name from information_schema.schemata where schema_name = @s",
                r => (r.GetString(0), r.GetString(1)), ("s", staging)).Single();
            MySqlSchemaObjects.Execute(stagingConnection, $"create database {Q(database)} character set {charset} collate {collation}");
        }
        var old = ThrowawayDatabase.Name("old", database);
        try
        {
            using var live = MySqlInspector.Open(target, database);
            MySqlSchemaObjects.Execute(live, $"set session lock_wait_timeout = {LockWaitSeconds}");
            var original = exists ? MySqlSchemaObjects.Read(live, database) : [];
            var originalTables = exists ? TableNames(live, database) : [];
            MySqlSchemaObjects.Execute(live, $"create database {Q(old)}");
            // Triggers block a cross-schema rename; live views would collide with incoming tables of the same name.
            var inTheWay = original.Where(o => o.Kind is "TRIGGER" or "VIEW").ToList();
            MySqlSchemaObjects.Drop(stagingConnection, staging, incoming.Where(o => o.Kind == "TRIGGER"));
            try
            {
                MySqlSchemaObjects.Drop(live, database, inTheWay);
                Rename(live, [.. originalTables.Select(t => (database, t, old)), .. incomingTables.Select(t => (staging, t, database))]);
            }
            catch
            {
                var still = MySqlSchemaObjects.Read(live, database).Select(o => (o.Kind, o.Name)).ToHashSet();
                MySqlSchemaObjects.Create(live, inTheWay.Where(o => !still.Contains((o.Kind, o.Name))), database, database);
                throw;
            }
            try
            {
                MySqlSchemaObjects.Drop(live, database, original.Except(inTheWay));
                MySqlSchemaObjects.Create(live, incoming, staging, database);
            }
            catch (Exception e) when (e is MySqlException or BackupToolsException)
            {
                PutBack(live, database, staging, old, original, originalTables, incomingTables, e);
                throw;
            }
            MySqlSchemaObjects.Execute(live, $"drop database {Q(old)}");
        }
        catch
        {
            DropIfNoTables(target, old);
            if (!exists) DropIfNoTables(target, database);
            throw;
        }
    }

    /// <summary>Reverses the swap after a failure to re-create the objects, so the target is as it was.</summary>
    private static void PutBack(MySqlConnection live, string database, string staging, string old, IReadOnlyList<MySqlSchemaObject> original,
        IReadOnlyList<string> originalTables, IReadOnlyList<string> incomingTables, Exception cause)
    {
        try
        {
            MySqlSchemaObjects.Drop(live, database, MySqlSchemaObjects.Read(live, database));
            Rename(live, [.. incomingTables.Select(t => (database, t, staging)), .. originalTables.Select(t => (old, t, database))]);
            MySqlSchemaObjects.Create(live, original, database, database);
        }
        catch (Exception e) when (e is MySqlException or BackupToolsException)
        {
            throw new BackupToolsException("MySqlRestoreRollbackFailed", FailureKind.IntegrityFailure,
                $"Re-creating the restored views/routines/events/triggers in '{database}' failed ({cause.Message}), and putting the original back failed too ({e.Message}). " +
                $"The original tables are kept in database '{old}'.", $"Inspect '{database}' and '{old}' before anything else writes to them.", cause);
        }
    }

    private static void Rename(MySqlConnection connection, IReadOnlyList<(string From, string Table, string To)> moves)
    {
        if (moves.Count == 0) return;
        MySqlSchemaObjects.Execute(connection, "rename table " + string.Join(", ", moves.Select(m => $"{Q(m.From)}.{Q(m.Table)} to {Q(m.To)}.{Q(m.Table)}")));
    }

    private static List<string> TableNames(MySqlConnection connection, string schema) =>
        MySqlInspector.Query(connection, "select table_name from information_schema.tables where table_schema = @s and table_type <> 'VIEW' order by table_name",
            r => r.GetString(0), ("s", schema));

    /// <summary>Never drops a schema still holding tables: after a failed put-back it holds the original data.</summary>
    private static void DropIfNoTables(MySqlTarget target, string schema)
    {
        try
        {
            using var connection = MySqlInspector.Open(target, null);
            if (TableNames(connection, schema).Count == 0) MySqlSchemaObjects.Execute(connection, $"drop database if exists {Q(schema)}");
        }
        catch (Exception e) when (e is MySqlException or BackupToolsException) { /* best effort; named …__bt_… so it is recognisable */ }
    }

    private static string Q(string identifier) => MySqlInspector.Quote(identifier);
}
