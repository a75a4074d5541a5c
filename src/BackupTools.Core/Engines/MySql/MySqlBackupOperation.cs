using BackupTools.Core.Audit;
using System.Text.Json.Nodes;
using BackupTools.Core.Engines.External;
using BackupTools.Core.Engines.Postgres;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.Core.Repository;
using MySqlConnector;

namespace BackupTools.Core.Engines.MySql;

/// <summary>
/// Backs up MySQL/MariaDB databases with mariadb-dump/mysqldump in one consistent transaction (InnoDB),
/// with routines, triggers and events, streamed straight into the repository: a binary-charset session for
/// databases whose text columns are all utf8/ascii (every stored byte as is, and a third less CPU for the dump
/// tool), otherwise utf8mb4 with hex BLOBs. The manifest keeps
/// the binlog coordinates and GTID set of the dump's snapshot (for point-in-time recovery) and every table
/// with its engine and row count. A dump without its completion marker never becomes a backup.
/// </summary>
public sealed class MySqlBackupOperation(IOperationObserver observer)
{
    public const string EngineName = "mysql";
    private const string Activity = "Backup-MySql";
    private BackupTemplate Template => new(observer);

    /// <summary>Backs up each database (one outcome each); every outcome is audited.</summary>
    public IReadOnlyList<ItemOutcome> Run(MySqlBackupRequest request, CancellationToken cancel) =>
        OperationAudit.Items(request.Repository, EngineName, request.Cell, request.Target.ToString(), observer, opened => RunItems(opened, request, cancel));

    private IReadOnlyList<ItemOutcome> RunItems(OperationRepository opened, MySqlBackupRequest request, CancellationToken cancel) =>
        Template.Locked(opened, $"Backup-MySql {request.Target.Host}:{request.Target.Port}", request.LockTimeout, cancel,
            repository => RunLocked(repository, request, cancel));

    /// <summary>For callers that hold the writer lock already (a restore's safety backup).</summary>
    public IReadOnlyList<ItemOutcome> RunLocked(BackupRepository repository, MySqlBackupRequest request, CancellationToken cancel)
    {
        MySqlTools tools;
        IReadOnlyList<string> databases;
        MySqlDialect dialect;
        DumpSettings settings;
        using (var connection = MySqlInspector.Open(request.Target, null))
        {
            tools = MySqlTools.Locate(request.ToolPath);
            dialect = MySqlInspector.Dialect(connection);
            settings = new DumpSettings(tools.DumpTool(), MySqlInspector.BinlogEnabled(connection), MySqlInspector.GtidOn(connection, dialect));
            databases = request.AllDatabases ? MySqlInspector.ListDatabases(connection, request.IncludeSystemDatabases) : request.Databases;
        }
        if (databases.Count == 0)
            throw new BackupInputException("MySqlNoDatabase", "Database", "no database to back up.", "Pass -Database <name>[,<name>…] or -AllDatabases.");
        using var defaults = new PrivateTempFile(request.Target.DefaultsFileContent(), ".cnf");
        var tags = new Dictionary<string, string>(request.Tags ?? new Dictionary<string, string>()) { ["set"] = Guid.NewGuid().ToString("N")[..12] };
        var outcomes = new List<ItemOutcome>();
        foreach (var database in databases)
        {
            cancel.ThrowIfCancellationRequested();
            try
            {
                outcomes.Add(new ItemOutcome(database, BackupDatabase(repository, request, tools, dialect, settings, defaults, database, tags, cancel), null));
            }
            catch (Exception e) when (e is BackupToolsException or MySqlException)
            {
                outcomes.Add(new ItemOutcome(database, null, e is BackupToolsException ? e : MySqlErrors.Map(e, request.Target, database)));
            }
        }
        return outcomes;
    }

    private BackupRecord BackupDatabase(BackupRepository repository, MySqlBackupRequest request, MySqlTools tools, MySqlDialect dialect, DumpSettings settings,
        PrivateTempFile defaults, string database, IReadOnlyDictionary<string, string> tags, CancellationToken cancel)
    {
        using var connection = MySqlInspector.Open(request.Target, database);
        var schema = MySqlInspector.SchemaDefaults(connection, database);
        var session = MySqlInspector.BinarySessionSafe(connection, database) ? BinarySession : Utf8Session;
        var engines = MySqlInspector.TableEngines(connection, database);
        var nonTransactional = engines.Where(t => t.Engine.Length > 0 && !t.Engine.Equals("InnoDB", StringComparison.OrdinalIgnoreCase)).ToList();
        if (nonTransactional.Count > 0)
            observer.Warning($"{database}: {string.Join(", ", nonTransactional.Select(t => $"{t.Name} ({t.Engine})"))} " +
                "are not transactional; --single-transaction cannot promise their consistency if they change during the dump.");
        // Exact row counts take a while on big schemas; they come from their own transaction anyway, so they are
        // read on a second connection while the dump runs instead of delaying its start.
        var counting = Task.Run(() =>
        {
            using var counter = MySqlInspector.Open(request.Target, database);
            return MySqlInspector.Tables(counter, database);
        });
        try
        {
            return Dump(repository, request, tools, dialect, settings, defaults, database, tags, connection, new DatabaseFacts(schema, session, counting), cancel);
        }
        finally
        {
            try { counting.Wait(CancellationToken.None); } catch (AggregateException) { /* reported by Dump when it got that far */ }
        }
    }

    /// <summary>What BackupDatabase learned before the dump: defaults, the dump session's charset, the row counts being read.</summary>
    private sealed record DatabaseFacts((string CharacterSet, string Collation) Schema, string Session, Task<IReadOnlyList<MySqlInspector.TableInfo>> Counting);

    private BackupRecord Dump(BackupRepository repository, MySqlBackupRequest request, MySqlTools tools, MySqlDialect dialect, DumpSettings settings,
        PrivateTempFile defaults, string database, IReadOnlyDictionary<string, string> tags, MySqlConnection connection, DatabaseFacts known, CancellationToken cancel)
    {
        var backup = new StreamBackup(request.Cell ?? database, request.Target.Describe(database), EngineName, request.Compression, request.Keys, tags,
            Activity, $"{database}: dumping");
        // Tools without --set-gtid-purged=COMMENTED: the executed set just before the dump (may lag the snapshot, never lead it).
        var gtidBefore = dialect.GtidSetReadBesideDump(settings.Tool, settings.GtidOn) ? MySqlInspector.ExecutedGtidSet(connection, dialect) : null;
        DumpSniffer? sniffer = null;
        return Template.Write(repository, backup, data =>
        {
            sniffer = new DumpSniffer(data);
            ExternalTool.Run(tools.Dump, DumpArguments(defaults, dialect.DumpOptions(settings.Tool, settings.Binlog, settings.GtidOn), known.Session, database), new Dictionary<string, string> { ["MYSQL_PWD"] = "" }, sniffer, null, cancel);
            if (!sniffer.Completed)
                throw new BackupToolsException("MySqlDumpIncomplete", FailureKind.ExternalToolFailure,
                    $"{Path.GetFileName(tools.Dump)} exited without its '-- Dump completed' marker; nothing was recorded.", "Check the server log and run again.");
        }, () => DumpFacts(tools, dialect, database, connection, known, sniffer!, gtidBefore), cancel);
    }

    private static JsonObject DumpFacts(MySqlTools tools, MySqlDialect dialect, string database, MySqlConnection connection, DatabaseFacts known, DumpSniffer sniffer, string? gtidBefore)
    {
        var tables = known.Counting.GetAwaiter().GetResult();
        var coordinates = sniffer.BinlogCoordinates();
        return new JsonObject
        {
            ["flavor"] = dialect.Flavor,
            ["serverVersion"] = connection.ServerVersion,
            ["database"] = database,
            ["characterSet"] = known.Schema.CharacterSet,
            ["collation"] = known.Schema.Collation,
            ["dumpTool"] = Path.GetFileName(tools.Dump),
            ["dumpCharacterSet"] = known.Session,
            ["binlogFile"] = coordinates?.File,
            ["binlogPosition"] = coordinates?.Position,
            // From the dump itself when it says (mariadb-dump does); BINLOG_GTID_POS scans the binlog file, which takes seconds on a big one.
            ["gtidSet"] = sniffer.GtidSet() ?? GtidAt(connection, dialect, coordinates),
            ["gtidExecutedBeforeDump"] = gtidBefore,
            ["tables"] = MySqlInspector.ToJson(tables),
            ["rowCountsSnapshot"] = "separate transaction beside the dump",
        };
    }

    private static string? GtidAt(MySqlConnection connection, MySqlDialect dialect, (string File, long Position)? coordinates)
    {
        if (coordinates is not { } at || dialect.GtidAtCoordinatesQuery is not { } sql) return null;
        return MySqlInspector.Query(connection, sql, r => r.IsDBNull(0) ? null : r.GetString(0), ("file", at.File), ("position", at.Position)).Single();
    }

    private sealed record DumpSettings(MySqlDumpTool Tool, bool Binlog, bool GtidOn);

    private const string BinarySession = "binary";
    private const string Utf8Session = "utf8mb4";

    private static List<string> DumpArguments(PrivateTempFile defaults, IReadOnlyList<string> dialectOptions, string session, string database)
    {
        // --defaults-extra-file must come first; it carries host, port, user and password.
        var args = new List<string> { $"--defaults-extra-file={defaults.FilePath}", "--single-transaction", "--quick", "--routines", "--triggers",
            "--events", $"--default-character-set={session}", "--skip-dump-date" };
        // A binary session (SET NAMES binary, which the dump replays too) gets every column's stored bytes
        // unconverted, BLOBs included, so they need no hex (which doubles them), and the dump tool skips its
        // per-byte multi-byte check while escaping: ~1/3 of its CPU, and the dump tool sets a dump's pace.
        // In a utf8mb4 session BLOBs must be hex, or the server would read their bytes as utf8mb4 on replay.
        if (session == Utf8Session) args.Add("--hex-blob");
        args.AddRange(dialectOptions);
        args.Add(database);
        return args;
    }
}
