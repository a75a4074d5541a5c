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
/// </summary>
public sealed class PostgresBackupOperation(IOperationObserver observer)
{
    public const string EngineName = "postgres";
    public const string GlobalsEngineName = "postgres-globals";
    private const string Activity = "Backup-Postgres";

    /// <summary>Backs up each database (one outcome each); every outcome is audited.</summary>
    public IReadOnlyList<ItemOutcome> Run(PostgresBackupRequest request, CancellationToken cancel) =>
        OperationAudit.Items(request.RepositoryLocation, EngineName, request.Cell, request.Target.ToString(), observer, () => RunItems(request, cancel));

    private IReadOnlyList<ItemOutcome> RunItems(PostgresBackupRequest request, CancellationToken cancel)
    {
        var repository = BackupRepository.Open(RepositoryLocation.OpenStore(request.RepositoryLocation));
        using var writerLock = WriterLock.Acquire(repository, $"Backup-Postgres {request.Target.Host}:{request.Target.Port}", request.LockTimeout, cancel);
        RepositorySweeper.Sweep(repository, observer);
        return RunLocked(repository, request, cancel);
    }

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
        using var connection = PostgresInspector.Open(request.Target, database);
        using var snapshotTransaction = connection.BeginTransaction(System.Data.IsolationLevel.RepeatableRead);
        var snapshot = PostgresInspector.Query(connection, "select pg_export_snapshot()", r => r.GetString(0), snapshotTransaction).Single();
        var facts = PostgresInspector.DatabaseFacts(connection, database);

        var compression = request.Compression ?? CompressionSettings.Parse(repository.Config.Defaults.Compression, repository.Config.Defaults.CompressionLevel);
        var plan = new BackupPlan(cell, request.Target.Describe(database), EngineName, BackupKind.Full, null, compression, tags);
        using var writer = repository.BeginBackup(plan, request.Keys);
        // Counting runs on the snapshot's own connection while pg_dump streams from a second one.
        var counts = Task.Run(() => PostgresInspector.TableRowCounts(connection, snapshotTransaction), cancel);
        using (var data = writer.OpenObject(BackupManifest.DataRole))
        {
            var progress = new ProgressStream(data, bytes => observer.Progress(Activity, $"{database}: dumping", bytes, null));
            ExternalTool.Run(tools.PgDump, DumpArguments(request, snapshot), environment.For(database), progress, null, cancel);
            data.Complete();
        }
        facts["tables"] = counts.GetAwaiter().GetResult();
        facts["format"] = "custom";
        facts["pgDumpMajor"] = tools.Major;
        facts["schemaOnly"] = request.SchemaOnly;
        if (request.Schemas.Count > 0) facts["schemas"] = new JsonArray(request.Schemas.Select(s => (JsonNode)s).ToArray());
        if (request.Tables.Count > 0) facts["tableFilter"] = new JsonArray(request.Tables.Select(s => (JsonNode)s).ToArray());
        snapshotTransaction.Commit();
        return repository.ToRecord(writer.Complete(facts));
    }

    private BackupRecord BackupGlobals(BackupRepository repository, PostgresBackupRequest request, PgTools tools, PgEnvironment environment,
        IReadOnlyDictionary<string, string> tags, CancellationToken cancel)
    {
        var compression = request.Compression ?? CompressionSettings.Parse(repository.Config.Defaults.Compression, repository.Config.Defaults.CompressionLevel);
        var plan = new BackupPlan(request.Cell ?? "globals", request.Target.Describe("(globals)"), GlobalsEngineName, BackupKind.Full, null, compression, tags);
        using var writer = repository.BeginBackup(plan, request.Keys);
        using (var data = writer.OpenObject(BackupManifest.DataRole))
        {
            ExternalTool.Run(tools.PgDumpAll, ["--globals-only", "--no-password"], environment.For("postgres"), data, null, cancel);
            data.Complete();
        }
        return repository.ToRecord(writer.Complete(new JsonObject { ["format"] = "plain-sql", ["content"] = "roles and tablespaces (pg_dumpall --globals-only)" }));
    }

    private static List<string> DumpArguments(PostgresBackupRequest request, string snapshot)
    {
        var args = new List<string> { "--format=custom", "--compress=0", "--no-password", $"--snapshot={snapshot}" };
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
