using System.Management.Automation;
using BackupTools.Core.Engines.PostgresPitr;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>
/// The streaming WAL archiver: receives WAL over a replication slot (pg_receivewal --synchronous) into -Spool and pushes
/// it into the repository every -IntervalSec, the segment still being received as a snapshot, for an RPO of seconds.
/// Runs until stopped (Ctrl+C / the service manager); the slot keeps on the server what it has not received yet.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // pg_receivewal spool: POSIX modes
[Cmdlet(VerbsCommunications.Receive, "PostgresWal")]
public sealed class ReceivePostgresWalCommand : DatabaseBackupCmdlet
{
    /// <summary>The folder pg_receivewal writes to (created; not bt-wal-spool's spool).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    public string Spool { get; set; } = "";

    /// <summary>The physical replication slot (created when missing).</summary>
    [Parameter(Mandatory = true)]
    public string Slot { get; set; } = "";

    [Parameter]
    [ValidateRange(1, 3600)]
    public int IntervalSec { get; set; } = 1;

    protected override void ProcessRecord()
    {
        try
        {
            var source = BuildPostgresTarget();
            var push = new WalPushRequest(ReferenceTo(Repository), ResolvePath(Spool), Cell ?? PgBaseBackupOperation.DefaultCell(source), RequestedCompression,
                LoadKeys(), TimeSpan.FromSeconds(LockTimeoutSec == 0 ? 60 : LockTimeoutSec), StreamSpool: true);
            var request = new WalStreamRequest(push, source, Slot, ResolvedToolPath, TimeSpan.FromSeconds(IntervalSec));
            RunCore((observer, _, cancel) =>
            {
                new WalStreamOperation(observer).Run(request, r => observer.Verbose(
                    $"WAL batch {r.BatchId}: {r.Pushed.Count} file(s){(r.Pushed.Count > 0 ? $" {r.Pushed[0]} … {r.Pushed[^1]}" : "")}."), cancel);
                return true;
            });
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Server ?? "localhost");
        }
    }
}
