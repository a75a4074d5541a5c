using System.Diagnostics;
using System.Text.Json.Nodes;
using BackupTools.Core.Engines.External;
using BackupTools.Core.Errors;
using BackupTools.Core.Repository;
using Npgsql;

namespace BackupTools.Core.Engines.Postgres;

/// <summary>
/// Restores a Postgres backup into a NEW database (staging or throwaway): creates it with the backup's
/// encoding, streams the verified, decrypted archive into pg_restore, then compares per-table row counts
/// with the manifest. Used by Restore-Postgres and by Test-BackupIntegrity -RestoreTest.
/// </summary>
public static class PgArchiveRestorer
{
    public sealed record Outcome(int Tables, long Rows, TimeSpan Duration, IReadOnlyList<string> Differences);

    public static Outcome RestoreInto(BackupRepository repository, BackupManifest manifest, Keys.BackupKeyRing? keys, PostgresTarget target,
        PgTools tools, string database, NpgsqlConnection maintenance, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var encoding = manifest.EngineInfo?["encoding"]?.GetValue<string>() ?? "UTF8";
        PostgresInspector.Execute(maintenance, $"create database {PostgresInspector.Quote(database)} template template0 encoding '{encoding.Replace("'", "")}'");
        var filter = manifest.EngineInfo?["tableFilter"] as JsonArray;
        if (filter != null) CreateFilteredSchemas(target, database, filter);
        using var environment = new PgEnvironment(target);
        using (var data = repository.OpenObject(manifest, BackupManifest.DataRole, keys))
        {
            ExternalTool.Run(tools.PgRestore, ["--exit-on-error", "--no-password", $"--dbname={database}"], environment.For(database), null, data, cancel);
            data.VerifyToEnd();
        }
        var differences = new List<string>();
        int tables;
        long rows = 0;
        using (var restored = PostgresInspector.Open(target, database))
        {
            var actual = PostgresInspector.TableRowCounts(restored).OfType<JsonObject>()
                .ToDictionary(t => $"{t["schema"]}.{t["table"]}", t => (Rows: t["rows"]!.GetValue<long>(), Exact: t["exact"]!.GetValue<bool>()));
            tables = actual.Count;
            rows = actual.Values.Sum(v => v.Rows);
            var expected = manifest.EngineInfo?["tables"] as JsonArray ?? [];
            var schemaOnly = manifest.EngineInfo?["schemaOnly"]?.GetValue<bool>() == true;
            // A filtered dump (-Schema/-Table) holds only some tables: check those it restored.
            var filtered = filter != null || manifest.EngineInfo?["schemas"] != null;
            foreach (var t in expected.OfType<JsonObject>())
            {
                var name = $"{t["schema"]}.{t["table"]}";
                var want = t["rows"]!.GetValue<long>();
                if (!actual.TryGetValue(name, out var got)) { if (!filtered) differences.Add($"{name}: missing after restore"); continue; }
                if (schemaOnly) continue;
                if (t["exact"]!.GetValue<bool>() && got.Exact && got.Rows != want) differences.Add($"{name}: {got.Rows} rows restored, {want} backed up");
            }
        }
        return new Outcome(tables, rows, clock.Elapsed, differences);
    }

    /// <summary>pg_dump --table leaves out the table's schema; create it so the table has somewhere to go.</summary>
    private static void CreateFilteredSchemas(PostgresTarget target, string database, JsonArray filter)
    {
        using var connection = PostgresInspector.Open(target, database);
        foreach (var schema in filter.Select(f => f?.GetValue<string>() ?? "").Where(f => f.Contains('.')).Select(f => f[..f.IndexOf('.')]).Distinct())
            PostgresInspector.Execute(connection, $"create schema if not exists {PostgresInspector.Quote(schema)}");
    }

    public static void DropDatabase(NpgsqlConnection maintenance, string database)
    {
        try
        {
            PostgresInspector.TerminateConnections(maintenance, database);
            PostgresInspector.Execute(maintenance, $"drop database if exists {PostgresInspector.Quote(database)}");
        }
        catch (NpgsqlException) { /* best effort: named bt_… so it is recognisable */ }
    }

    public static string ThrowawayName(string prefix, string database)
    {
        var suffix = "__bt_" + prefix + "_" + Guid.NewGuid().ToString("N")[..6];
        return (database.Length + suffix.Length > 63 ? database[..(63 - suffix.Length)] : database) + suffix;
    }
}
