using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using BackupTools.Core.Audit;
using BackupTools.Core.Engines.External;
using BackupTools.Core.Engines.MySql;
using BackupTools.Core.Engines.MySqlPitr;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;
using MySqlConnector;

namespace BackupTools.Core.Engines.MySqlPhysical;

/// <summary>
/// A hot physical backup of a whole MariaDB server: mariadb-backup --backup --stream=mbstream piped straight through
/// compress → encrypt → hash into the repository (no copy on local disk). Its password is only in a private defaults
/// file. The manifest records where the backup stands on the binlog (file, position, GTID — mariadb-backup's own
/// report of the moment it took the backup lock), so binlog replay can continue from there, and the databases and
/// tables it holds, which a restore proves present.
/// </summary>
public sealed partial class MySqlPhysicalBackupOperation(IOperationObserver observer)
{
    public const string EngineName = "mysql-physical";
    private const string Activity = "Backup-MySqlPhysical";
    private BackupTemplate Template => new(observer);

    public BackupRecord Run(MySqlPhysicalBackupRequest request, CancellationToken cancel) =>
        Template.Audited(request.Repository, new AuditSubject("backup", request.Cell, EngineName, request.Target.ToString()),
            opened => Template.Locked(opened, $"Backup-MySqlPhysical {request.Target.Host}:{request.Target.Port}", request.LockTimeout, cancel,
                repository => Backup(repository, request, cancel)), _ => "physical backup, ");

    private BackupRecord Backup(BackupRepository repository, MySqlPhysicalBackupRequest request, CancellationToken cancel)
    {
        var tool = MariaDbBackupTool.Locate(request.ToolPath);
        var server = ServerFacts(request.Target);
        var cell = request.Cell ?? BinlogArchiveRequest.DefaultCell(request.Target);
        BackupId.ValidateCellName(cell);
        using var defaults = new PrivateTempFile(request.Target.DefaultsFileContent(), ".cnf");
        // mariadb-backup keeps a few small files in its target dir even when streaming: a private folder of our own, removed after.
        var scratch = System.IO.Directory.CreateTempSubdirectory("bt-mariadb-backup-").FullName;
        try
        {
            ExternalTool.Result? result = null;
            var backup = new StreamBackup(cell, request.Target.ToString(), EngineName, request.Compression, request.Keys, request.Tags, Activity, $"{request.Target}: physical backup");
            return Template.Write(repository, backup, data =>
            {
                // --defaults-extra-file must come first; it carries host, port, user and password.
                result = ExternalTool.Run(tool.Backup, [$"--defaults-extra-file={defaults.FilePath}", "--backup", "--stream=mbstream", $"--target-dir={scratch}"],
                    new Dictionary<string, string> { ["MYSQL_PWD"] = "" }, data, null, cancel);
                if (!result.Stderr.Contains("completed OK!", StringComparison.Ordinal))
                    throw new BackupToolsException("MySqlPhysicalIncomplete", FailureKind.ExternalToolFailure,
                        $"{Path.GetFileName(tool.Backup)} exited without 'completed OK!'; nothing was recorded.", "Check its output and the server log, then run again.");
            }, () => Facts(server, tool, result!.Stderr), cancel);
        }
        finally
        {
            try { System.IO.Directory.Delete(scratch, recursive: true); } catch (IOException) { }
        }
    }

    private static JsonObject ServerFacts(MySqlTarget target)
    {
        try
        {
            using var connection = MySqlInspector.Open(target, null);
            if (!MySqlInspector.Dialect(connection).IsMariaDb)
                throw new BackupInputException("MySqlPhysicalNotMariaDb", "Server", $"{target} is not MariaDB ({connection.ServerVersion}); mariadb-backup backs up MariaDB only.",
                    "Use Backup-MySql (logical dumps) for MySQL servers.");
            var dataDir = MySqlInspector.Query(connection, "select @@datadir", r => r.GetString(0)).Single();
            if (!System.IO.Directory.Exists(dataDir))
                throw new BackupInputException("MySqlPhysicalNotLocal", "Server", $"{target}'s data directory {dataDir} is not on this machine; mariadb-backup reads the server's files.",
                    "Run Backup-MySqlPhysical on the server's host (or use Backup-MySql).");
            var databases = new JsonObject();
            foreach (var database in MySqlInspector.ListDatabases(connection, includeSystem: false))
                databases[database] = new JsonArray(MySqlInspector.TableEngines(connection, database).Select(t => (JsonNode)t.Name).ToArray());
            return new JsonObject
            {
                ["flavor"] = "mariadb",
                ["serverVersion"] = connection.ServerVersion,
                ["dataDirectory"] = dataDir,
                ["binlogOn"] = MySqlInspector.BinlogEnabled(connection),
                ["databases"] = databases,
            };
        }
        catch (MySqlException e)
        {
            throw MySqlErrors.Map(e, target, null);
        }
    }

    [GeneratedRegex(@"binlog position: filename '(?<file>[^']+)', position '(?<pos>\d+)'(, GTID of the last change '(?<gtid>[^']*)')?")]
    private static partial Regex BinlogPosition();

    private static JsonObject Facts(JsonObject server, MariaDbBackupTool tool, string stderr)
    {
        var position = BinlogPosition().Match(stderr);
        server["format"] = "mbstream";
        server["backupTool"] = Path.GetFileName(tool.Backup);
        server["binlogFile"] = position.Success ? position.Groups["file"].Value : null;
        server["binlogPosition"] = position.Success ? long.Parse(position.Groups["pos"].Value, System.Globalization.CultureInfo.InvariantCulture) : null;
        server["gtidSet"] = position.Success && position.Groups["gtid"].Value.Length > 0 ? position.Groups["gtid"].Value : null;
        return server;
    }
}
