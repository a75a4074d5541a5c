using BackupTools.Core.Audit;
using System.Text.Json.Nodes;
using BackupTools.Core.Engines.External;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.Core.Repository;
using Npgsql;

namespace BackupTools.Core.Engines.Postgres;

/// <summary>
/// Backs up PostgreSQL databases with pg_dump (custom format, uncompressed: our zstd stage is faster) streamed
/// straight into the repository. Each database is dumped from an exported snapshot, and the per-table row
/// counts recorded in the manifest are taken in that same snapshot, so they describe exactly what was dumped.
/// With Jobs ≥ 2 the dump is a parallel directory-format one, carried as a tar (see PgDirectoryArchive).
/// </summary>
public sealed class PostgresBackupOperation(IOperationObserver observer)
{
    public const string EngineName = "postgres";
    public const string GlobalsEngineName = "postgres-globals";
    private const string Activity = "Backup-Postgres";
    private BackupTemplate Template => new(observer);

    /// <summary>Backs up each database (one outcome each); every outcome is audited.</summary>
    public IReadOnlyList<ItemOutcome> Run(PostgresBackupRequest request, CancellationToken cancel) =>
        OperationAudit.Items(request.Repository, EngineName, request.Cell, request.Target.ToString(), observer, opened => RunItems(opened, request, cancel));

    private IReadOnlyList<ItemOutcome> RunItems(OperationRepository opened, PostgresBackupRequest request, CancellationToken cancel) =>
        Template.Locked(opened, $"Backup-Postgres {request.Target.Host}:{request.Target.Port}", request.LockTimeout, cancel,
            repository => RunLocked(repository, request, cancel));

    /// <summary>For callers that hold the writer lock already (a restore's safety backup).</summary>
    public IReadOnlyList<ItemOutcome> RunLocked(BackupRepository repository, PostgresBackupRequest request, CancellationToken cancel)
    {
        PgTools tools;
        IReadOnlyList<string> databases;
        using (var maintenance = PostgresInspector.Open(request.Target, request.Databases.FirstOrDefault() ?? "postgres"))
        {
            tools = PgTools.Locate(request.ToolPath, PostgresInspector.ServerMajor(maintenance));
            databases = request.AllDatabases ? PostgresInspector.ListDatabases(maintenance) : request.Databases;
        }
        if (databases.Count == 0 && !request.IncludeGlobals)
            throw new BackupInputException("PostgresNoDatabase", "Database", "no database to back up.", "Pass -Database <name>[,<name>…] or -AllDatabases.");

        if (request.Jobs is < 1 or > 64)
            throw new BackupInputException("PostgresJobsOutOfRange", "Jobs", $"{request.Jobs} parallel jobs is out of range.", "Pass -Jobs between 1 and 64.");
        if (request.Jobs > 1)
            observer.Warning($"-Jobs {request.Jobs}: each database is first dumped uncompressed into a scratch folder under '{PgScratchSpace.Location}' " +
                "(it needs about the database's dump size free there); this only pays off with several cores and several large tables.");
        var set = Guid.NewGuid().ToString("N")[..12];
        var tags = new Dictionary<string, string>(request.Tags ?? new Dictionary<string, string>()) { ["set"] = set };
        var outcomes = new List<ItemOutcome>();
        using var environment = new PgEnvironment(request.Target);
        foreach (var database in databases)
        {
            cancel.ThrowIfCancellationRequested();
            try
            {
                outcomes.Add(new ItemOutcome(database, BackupDatabase(repository, request, tools, environment, database, tags, cancel), null));
            }
            catch (Exception e) when (e is BackupToolsException or NpgsqlException)
            {
                outcomes.Add(new ItemOutcome(database, null, e is BackupToolsException ? e : PostgresErrors.Map(e, request.Target, database)));
            }
        }
        if (request.IncludeGlobals)
        {
            try
            {
                outcomes.Add(new ItemOutcome("globals", BackupGlobals(repository, request, tools, environment, tags, cancel), null));
            }
            catch (BackupToolsException e)
            {
                outcomes.Add(new ItemOutcome("globals", null, e));
            }
        }
        return outcomes;
    }

    private BackupRecord BackupDatabase(BackupRepository repository, PostgresBackupRequest request, PgTools tools, PgEnvironment environment,
        string database, IReadOnlyDictionary<string, string> tags, CancellationToken cancel)
    {
        var cell = request.Cell ?? database;
        if (request.Cell is null && !IsValidCell(database))
            throw new BackupInputException("CellNameInvalid", "Cell", $"database '{database}' is not usable as a cell name.", "Pass -Cell <name> (letters, digits, '.', '_', '-').");
        // Made first so a scratch location that cannot be used fails before any snapshot or dump starts.
        using var scratch = request.Jobs > 1 ? PgScratchSpace.Create("pgdump") : null;
        using var connection = PostgresInspector.Open(request.Target, database);
        using var snapshotTransaction = connection.BeginTransaction(System.Data.IsolationLevel.RepeatableRead);
        var snapshot = PostgresInspector.Query(connection, "select pg_export_snapshot()", r => r.GetString(0), snapshotTransaction).Single();
        var facts = PostgresInspector.DatabaseFacts(connection, database);

        var backup = new StreamBackup(cell, request.Target.Describe(database), EngineName, request.Compression, request.Keys, tags, Activity, $"{database}: dumping");
        Task<JsonArray>? counts = null;
        try
        {
            return Template.Write(repository, backup, data =>
            {
                // Counting runs on the snapshot's own connection while pg_dump streams from a second one.
                counts = Task.Run(() => PostgresInspector.TableRowCounts(connection, snapshotTransaction), cancel);
                if (scratch != null) DumpParallel(request, tools, environment, database, snapshot, scratch, data, cancel);
                else ExternalTool.Run(tools.PgDump, DumpArguments(request, snapshot), environment.For(database), data, null, cancel);
            }, () =>
            {
                facts["tables"] = counts!.GetAwaiter().GetResult();
                facts["format"] = request.Jobs > 1 ? PgDirectoryArchive.Format : "custom";
                if (request.Jobs > 1) facts["jobs"] = request.Jobs;
                facts["pgDumpMajor"] = tools.Major;
                facts["schemaOnly"] = request.SchemaOnly;
                if (request.Schemas.Count > 0) facts["schemas"] = new JsonArray(request.Schemas.Select(s => (JsonNode)s).ToArray());
                if (request.Tables.Count > 0) facts["tableFilter"] = new JsonArray(request.Tables.Select(s => (JsonNode)s).ToArray());
                snapshotTransaction.Commit();
                return facts;
            }, cancel);
        }
        catch when (counts is { IsCompleted: false })
        {
            // The count shares the snapshot's connection, which is not thread-safe: it must end before that connection is disposed.
            try { counts.Wait(CancellationToken.None); } catch (Exception) { /* the dump's failure is the one to report */ }
            throw;
        }
    }

    private BackupRecord BackupGlobals(BackupRepository repository, PostgresBackupRequest request, PgTools tools, PgEnvironment environment,
        IReadOnlyDictionary<string, string> tags, CancellationToken cancel) =>
        Template.Write(repository, new StreamBackup(request.Cell ?? "globals", request.Target.Describe("(globals)"), GlobalsEngineName, request.Compression, request.Keys, tags),
            data => ExternalTool.Run(tools.PgDumpAll, ["--globals-only", "--no-password"], environment.For("postgres"), data, null, cancel),
            () => new JsonObject { ["format"] = "plain-sql", ["content"] = "roles and tablespaces (pg_dumpall --globals-only)" }, cancel);

    /// <summary>
    /// pg_dump -Fd -j N can only write a folder: dump into a private scratch folder (same snapshot, so the
    /// counts still match), then stream that folder as one tar into the pipeline. The folder always goes.
    /// </summary>
    private void DumpParallel(PostgresBackupRequest request, PgTools tools, PgEnvironment environment, string database, string snapshot,
        PgScratchSpace scratch, Stream output, CancellationToken cancel)
    {
        var folder = Path.Combine(scratch.Root, "dump");
        observer.Verbose($"{database}: parallel dump ({request.Jobs} jobs) into {scratch.Root}, then streamed as a tar.");
        var args = DumpArguments(request, snapshot, "--format=directory");
        args.AddRange([$"--jobs={request.Jobs}", $"--file={folder}"]);
        try
        {
            ExternalTool.Run(tools.PgDump, args, environment.For(database), null, null, cancel);
        }
        catch (BackupToolsException e) when (PgScratchSpace.ToolFailure(e) is { } full)
        {
            throw full;
        }
        PgDirectoryArchive.Write(folder, output);
        scratch.Dispose(); // free the space now rather than after the manifest is written
    }

    private static List<string> DumpArguments(PostgresBackupRequest request, string snapshot, string format = "--format=custom")
    {
        var args = new List<string> { format, "--compress=0", "--no-password", $"--snapshot={snapshot}" };
        if (request.SchemaOnly) args.Add("--schema-only");
        args.AddRange(request.Schemas.Select(s => $"--schema={s}"));
        args.AddRange(request.Tables.Select(t => $"--table={t}"));
        return args;
    }

    private static bool IsValidCell(string name)
    {
        try { BackupId.ValidateCellName(name); return true; }
        catch (BackupInputException) { return false; }
    }
}
