using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using BackupTools.Core.Audit;
using BackupTools.Core.Engines.External;
using BackupTools.Core.Engines.Postgres;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;
using Npgsql;

namespace BackupTools.Core.Engines.PostgresPitr;

/// <summary>
/// A physical base backup of a whole cluster: pg_basebackup's tar stream (with the WAL it needs, -X fetch, so the
/// backup alone restores to its end point; and PostgreSQL's own backup_manifest inside) piped straight through
/// compress → encrypt → hash into the repository — no copy on local disk. The manifest records what a
/// point-in-time restore needs: start/stop LSN, timeline, system identifier, WAL segment size, server version, and
/// the tablespaces outside the data directory (oid, name, location, bytes), whose files travel in the same tar under
/// pg_tblspc/&lt;oid&gt;/ (<see cref="PgTablespaceCapture"/>).
/// </summary>
public sealed partial class PgBaseBackupOperation(IOperationObserver observer)
{
    public const string EngineName = "postgres-base";
    private const string Activity = "Backup-PostgresBase";

    private BackupTemplate Template => new(observer);

    public BackupRecord Run(PgBaseBackupRequest request, CancellationToken cancel) =>
        Template.Audited(request.Repository, new AuditSubject("backup", request.Cell, EngineName, request.Target.ToString()),
            opened => RunUnaudited(opened, request, cancel), _ => "base backup, ");

    private BackupRecord RunUnaudited(OperationRepository opened, PgBaseBackupRequest request, CancellationToken cancel)
    {
        var facts = ClusterFacts(request.Target);
        var tools = PgTools.Locate(request.ToolPath, facts["serverMajor"]!.GetValue<int>());
        var cell = request.Cell ?? DefaultCell(request.Target);
        BackupId.ValidateCellName(cell);
        return Template.Locked(opened, $"Backup-PostgresBase {request.Target.Host}:{request.Target.Port}", request.LockTimeout, cancel, repository =>
        {
            using var environment = new PgEnvironment(request.Target);
            var tablespaces = Tablespaces(request.Target);
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    return Write(repository, request, cell, facts, tools, environment, tablespaces, cancel);
                }
                catch (BackupToolsException e) when (e.ErrorId == PgTablespaceCapture.RaceLostErrorId && attempt < 3)
                {
                    observer.Verbose($"{e.Message} Attempt {attempt + 1} of 3.");
                }
            }
        });
    }

    private BackupRecord Write(BackupRepository repository, PgBaseBackupRequest request, string cell, JsonObject facts, PgTools tools, PgEnvironment environment,
        IReadOnlyList<PgTablespace> tablespaces, CancellationToken cancel)
    {
        var backup = new StreamBackup(cell, request.Target.ToString(), EngineName, request.Compression, request.Keys, request.Tags, Activity, $"{request.Target}: base backup");
        var pgBasebackup = Path.Combine(tools.BinDir, "pg_basebackup");
        // -c fast: a backup taken by a tool should not wait for the next scheduled checkpoint; -v prints the LSNs.
        string[] arguments = ["-Ft", "-X", "fetch", "-c", "fast", "-v", "--no-password"];
        ExternalTool.Result? result = null;
        IReadOnlyList<PgTablespace> captured = [];
        return Template.Write(repository, backup, data =>
        {
            // Without tablespaces pg_basebackup streams its one archive (backup_manifest inside) to stdout: the fastest path.
            if (tablespaces.Count == 0) result = ExternalTool.Run(pgBasebackup, ["-D", "-", .. arguments], environment.For("postgres"), data, null, cancel);
            else (result, captured) = new PgTablespaceCapture(pgBasebackup, arguments, environment.For("postgres"), tablespaces).Run(data, cancel);
        }, () =>
        {
            var (start, timeline, stop) = WalRange(result!.Stderr);
            var recorded = (JsonObject)facts.DeepClone();
            recorded["startLsn"] = WalFileName.FormatLsn(start);
            recorded["stopLsn"] = WalFileName.FormatLsn(stop);
            recorded["timeline"] = timeline;
            recorded["format"] = "pg_basebackup-tar";
            recorded["pgBasebackupMajor"] = tools.Major;
            if (captured.Count > 0) recorded[PgTablespace.InfoKey] = new JsonArray(captured.Select(t => (JsonNode)t.ToJson()).ToArray());
            return recorded;
        }, cancel);
    }

    /// <summary>postgres-&lt;host&gt;-&lt;port&gt;: one cluster, one cell, shared by its base backups and its WAL.</summary>
    public static string DefaultCell(PostgresTarget target) =>
        "pg-" + new string(target.Host.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '_').ToArray()) + "-" + target.Port;

    private static JsonObject ClusterFacts(PostgresTarget target)
    {
        try
        {
            using var connection = PostgresInspector.Open(target, "postgres");
            var (system, segmentSize, inRecovery) = PostgresInspector.Query(connection,
                "select (select system_identifier::text from pg_control_system()), (select setting::bigint from pg_settings where name = 'wal_segment_size'), pg_is_in_recovery()",
                r => (r.GetString(0), r.GetInt64(1), r.GetBoolean(2))).Single();
            return new JsonObject
            {
                ["systemIdentifier"] = system,
                ["walSegmentSize"] = segmentSize,
                ["fromStandby"] = inRecovery,
                ["serverVersion"] = connection.PostgreSqlVersion.ToString(),
                ["serverMajor"] = PostgresInspector.ServerMajor(connection),
            };
        }
        catch (NpgsqlException e)
        {
            throw PostgresErrors.Map(e, target, "postgres");
        }
    }

    /// <summary>The tablespaces outside the data directory (pg_tablespace is readable by any role, a replication-only one too).</summary>
    private static IReadOnlyList<PgTablespace> Tablespaces(PostgresTarget target)
    {
        try
        {
            using var connection = PostgresInspector.Open(target, "postgres");
            return PostgresInspector.Query(connection,
                "select oid::bigint, spcname, pg_tablespace_location(oid) from pg_tablespace where spcname not in ('pg_default', 'pg_global') order by oid",
                r => new PgTablespace((uint)r.GetInt64(0), r.GetString(1), r.GetString(2))).ToList();
        }
        catch (NpgsqlException e)
        {
            throw PostgresErrors.Map(e, target, "postgres");
        }
    }

    [GeneratedRegex(@"write-ahead log start point: (?<start>[0-9A-F]+/[0-9A-F]+) on timeline (?<tli>\d+)")]
    private static partial Regex StartPoint();

    [GeneratedRegex(@"write-ahead log end point: (?<stop>[0-9A-F]+/[0-9A-F]+)")]
    private static partial Regex EndPoint();

    private static (ulong Start, uint Timeline, ulong Stop) WalRange(string stderr)
    {
        var start = StartPoint().Match(stderr);
        var stop = EndPoint().Match(stderr);
        if (!start.Success || !stop.Success)
            throw new BackupToolsException("PostgresBaseBackupUnreadable", FailureKind.ExternalToolFailure,
                "pg_basebackup finished without reporting its WAL start and end points; the backup cannot be placed on the WAL timeline.",
                "Check the pg_basebackup version (PostgreSQL 10 or newer).");
        return (WalFileName.ParseLsn(start.Groups["start"].Value), uint.Parse(start.Groups["tli"].Value, System.Globalization.CultureInfo.InvariantCulture),
            WalFileName.ParseLsn(stop.Groups["stop"].Value));
    }
}
