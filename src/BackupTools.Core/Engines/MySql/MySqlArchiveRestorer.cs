using System.Diagnostics;
using System.Text.Json.Nodes;
using BackupTools.Core.Engines.External;
using BackupTools.Core.Keys;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines.MySql;

/// <summary>
/// Loads a MySQL/MariaDB backup into a NEW database with the mariadb/mysql client (the verified, decrypted
/// dump is its stdin) and compares every table's row count with the manifest. Used by Restore-MySql (staging)
/// and -RestoreTest.
/// </summary>
public static class MySqlArchiveRestorer
{

    public static RestoredCopy RestoreInto(BackupRepository repository, BackupManifest manifest, BackupKeyRing? keys, MySqlTarget target,
        MySqlTools tools, string database, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        using (var connection = MySqlInspector.Open(target, null))
            Execute(connection, $"create database {MySqlInspector.Quote(database)} {SchemaDefaults(manifest)}");
        using (var defaults = new PrivateTempFile(target.DefaultsFileContent(), ".cnf"))
        using (var data = repository.OpenObject(manifest, BackupManifest.DataRole, keys, cancel))
        {
            DamagedBackupCheck.Load(manifest, data, () => ExternalTool.Run(tools.Client, [$"--defaults-extra-file={defaults.FilePath}", "--binary-mode", database],
                new Dictionary<string, string> { ["MYSQL_PWD"] = "" }, null, new SingleDatabaseDumpGuard(data), cancel), cancel);
        }
        using var restored = MySqlInspector.Open(target, database);
        var actual = MySqlInspector.Tables(restored, database).ToDictionary(t => t.Name);
        var differences = new List<string>();
        foreach (var t in (manifest.EngineInfo?["tables"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = t["table"]!.GetValue<string>();
            var want = t["rows"]!.GetValue<long>();
            if (!actual.TryGetValue(name, out var got)) differences.Add($"{name}: missing after restore");
            else if (t["exact"]!.GetValue<bool>() && got.Exact && got.Rows != want) differences.Add($"{name}: {got.Rows} rows restored, {want} backed up");
        }
        return new RestoredCopy(actual.Count, actual.Values.Sum(t => t.Rows), clock.Elapsed, differences);
    }

    /// <summary>The backed-up database's character set and collation (utf8mb4 for backups that predate recording them).</summary>
    private static string SchemaDefaults(BackupManifest manifest)
    {
        static string Safe(string? name) => name is { Length: > 0 } && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') ? name : "";
        var charset = Safe(manifest.EngineInfo?["characterSet"]?.GetValue<string>());
        var collation = Safe(manifest.EngineInfo?["collation"]?.GetValue<string>());
        return charset.Length == 0 ? "character set utf8mb4" : $"character set {charset}" + (collation.Length > 0 ? $" collate {collation}" : "");
    }

    /// <summary>Drops the staging and test databases of restores whose process died on this host (see <see cref="LeftoverDatabases"/>).</summary>
    public static void DropLeftovers(MySqlTarget target, Operations.IOperationObserver observer)
    {
        var server = $"{target.Host}:{target.Port}";
        try
        {
            using var connection = MySqlInspector.Open(target, null);
            var names = MySqlInspector.Query(connection, "select schema_name from information_schema.schemata where schema_name like @pattern", r => r.GetString(0),
                ("pattern", ThrowawayDatabase.LikePattern));
            LeftoverDatabases.Clean(names, name => DropDatabase(target, name), server, observer);
        }
        catch (Exception e) when (e is MySqlConnector.MySqlException or Errors.BackupToolsException)
        {
            observer.Verbose($"Could not look for databases left by interrupted restores on {server}: {e.Message}");
        }
    }

    public static void DropDatabase(MySqlTarget target, string database)
    {
        try
        {
            using var connection = MySqlInspector.Open(target, null);
            Execute(connection, $"drop database if exists {MySqlInspector.Quote(database)}");
        }
        catch (Exception e) when (e is Errors.BackupToolsException or MySqlConnector.MySqlException) { /* best effort: named …__bt_test_… so it is recognisable */ }
    }

    private static void Execute(MySqlConnector.MySqlConnection connection, string sql)
    {
        using var command = new MySqlConnector.MySqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }
}
