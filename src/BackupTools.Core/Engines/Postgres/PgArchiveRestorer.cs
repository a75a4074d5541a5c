using System.Diagnostics;
using System.Text.Json.Nodes;
using BackupTools.Core.Engines.External;
using BackupTools.Core.Errors;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;
using Npgsql;

namespace BackupTools.Core.Engines.Postgres;

/// <summary>
/// Restores a Postgres backup into a NEW database (staging or throwaway): creates it with the backup's
/// encoding, streams the verified, decrypted archive into pg_restore (via a scratch copy for parallel jobs and
/// directory-format dumps), then compares per-table row counts with the manifest. Used by Restore-Postgres and by Test-BackupIntegrity -RestoreTest.
/// </summary>
public static class PgArchiveRestorer
{

    public static RestoredCopy RestoreInto(BackupRepository repository, BackupManifest manifest, Keys.BackupKeyRing? keys, PostgresTarget target,
        PgTools tools, string database, NpgsqlConnection maintenance, CancellationToken cancel, int jobs = 1)
    {
        var clock = Stopwatch.StartNew();
        var encoding = manifest.EngineInfo?["encoding"]?.GetValue<string>() ?? "UTF8";
        PostgresInspector.Execute(maintenance, $"create database {PostgresInspector.Quote(database)} template template0 encoding '{encoding.Replace("'", "")}'");
        var filter = manifest.EngineInfo?["tableFilter"] as JsonArray;
        if (filter != null) CreateFilteredSchemas(target, database, filter);
        using var environment = new PgEnvironment(target);
        using (var data = repository.OpenObject(manifest, BackupManifest.DataRole, keys, cancel))
        {
            if (jobs > 1 || PgDirectoryArchive.IsDirectoryTar(manifest)) RestoreFromScratch(manifest, tools, environment, database, data, jobs, cancel);
            else DamagedBackupCheck.Load(manifest, data, () => ExternalTool.Run(tools.PgRestore, RestoreArguments(database), environment.For(database), null, data, cancel), cancel);
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
        return new RestoredCopy(tables, rows, clock.Elapsed, differences);
    }

    private static List<string> RestoreArguments(string database) => ["--exit-on-error", "--no-password", $"--dbname={database}"];

    /// <summary>
    /// pg_restore -j needs a seekable archive, and a directory-format dump is a folder: unpack the object into a
    /// private scratch folder first. The object is verified to its end before pg_restore starts, so a damaged
    /// backup never reaches the database.
    /// </summary>
    private static void RestoreFromScratch(BackupManifest manifest, PgTools tools, PgEnvironment environment, string database,
        VerifyingReadStream data, int jobs, CancellationToken cancel)
    {
        using var scratch = PgScratchSpace.Create("pgrestore");
        var args = RestoreArguments(database);
        string input;
        if (PgDirectoryArchive.IsDirectoryTar(manifest))
        {
            input = Path.Combine(scratch.Root, "dump");
            scratch.Write(() => PgDirectoryArchive.Extract(new CancellableReadStream(data, cancel), input));
            args.Add("--format=directory");
        }
        else
        {
            input = Path.Combine(scratch.Root, "dump.custom");
            scratch.Write(() =>
            {
                using var file = PrivateFileSystem.CreateFile(input, FileMode.CreateNew, 1 << 20);
                new CancellableReadStream(data, cancel).CopyTo(file, 1 << 20);
            });
            args.Add("--format=custom");
        }
        data.VerifyToEnd();
        if (jobs > 1) args.Add($"--jobs={jobs}");
        args.Add(input);
        ExternalTool.Run(tools.PgRestore, args, environment.For(database), null, null, cancel);
    }

    /// <summary>pg_dump --table leaves out the table's schema; create it so the table has somewhere to go.</summary>
    private static void CreateFilteredSchemas(PostgresTarget target, string database, JsonArray filter)
    {
        using var connection = PostgresInspector.Open(target, database);
        foreach (var schema in filter.Select(f => f?.GetValue<string>() ?? "").Where(f => f.Contains('.')).Select(f => f[..f.IndexOf('.')]).Distinct())
            PostgresInspector.Execute(connection, $"create schema if not exists {PostgresInspector.Quote(schema)}");
    }

    /// <summary>Drops the staging and test databases of restores whose process died on this host (see <see cref="LeftoverDatabases"/>).</summary>
    public static void DropLeftovers(NpgsqlConnection maintenance, string server, Operations.IOperationObserver observer)
    {
        try
        {
            var names = PostgresInspector.Query(maintenance, "select datname from pg_database where datname like @pattern", r => r.GetString(0), null,
                ("pattern", ThrowawayDatabase.LikePattern));
            LeftoverDatabases.Clean(names, name => DropDatabase(maintenance, name), server, observer);
        }
        catch (NpgsqlException e) { observer.Verbose($"Could not look for databases left by interrupted restores on {server}: {e.Message}"); }
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
}
