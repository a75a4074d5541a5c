using System.Management.Automation;
using BackupTools.Core.Errors;
using BackupTools.Core.Status;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>
/// Health of each series (cell/engine/source) of a repository. Emits a BackupStatus per series and, for each
/// unhealthy one (and each asked-for cell without any backup), a non-terminating error — so `$?` is false and
/// the runner (./bt) exits non-zero for cron and monitoring.
/// </summary>
[Cmdlet(VerbsCommon.Get, "BackupStatus")]
[OutputType(typeof(BackupStatus))]
public sealed class GetBackupStatusCommand : BackupToolsCmdlet, IStorageCredentialParameter
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    public string? Repository { get; set; }

    /// <summary>S3 access key id (user name) and secret key (password); otherwise the AWS environment/profile.</summary>
    [Parameter]
    public PSCredential? StorageCredential { get; set; }

    [Parameter]
    [Alias("Name")]
    [ArgumentCompleter(typeof(CellNameCompleter))]
    public string[]? Cell { get; set; }

    /// <summary>Newest backup older than this is a warning (default 26h).</summary>
    [Parameter]
    [DurationTransformation(nameof(MaxAge))]
    public TimeSpan? MaxAge { get; set; }

    /// <summary>Newest backup smaller than this fraction of the previous one of the same kind is a warning (default 0.5; 0 = off).</summary>
    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double MinSizeRatio { get; set; } = 0.5;

    /// <summary>No passed verification within this duration is a warning (default: not checked).</summary>
    [Parameter]
    [DurationTransformation(nameof(MaxVerifyAge))]
    public TimeSpan? MaxVerifyAge { get; set; }

    /// <summary>Backups that still need a key older than this are a warning (e.g. 90d; default: not checked).</summary>
    [Parameter]
    [DurationTransformation(nameof(KeyRotationPeriod))]
    public TimeSpan? KeyRotationPeriod { get; set; }

    /// <summary>Repositories that must hold a copy of each series' newest backup (3-2-1).</summary>
    [Parameter]
    public string[]? RequiredTarget { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            var targets = RequiredTarget?.Select(t => ResolveRepository(t)!).ToList();
            var request = new StatusRequest(ReferenceTo(Repository), new StatusPolicy(MaxAge, MinSizeRatio, MaxVerifyAge, targets) { KeyRotationPeriod = KeyRotationPeriod }, Cell);
            var report = RunCore((observer, _, cancel) => new StatusOperation(observer).Run(request, cancel));
            foreach (var status in report.Statuses)
            {
                WriteObject(status);
                if (!status.Healthy)
                    WriteFailure(new BackupToolsException("BackupUnhealthy", FailureKind.InvalidData,
                        $"{status.Cell} ({status.Engine} {status.Source}) is unhealthy: {string.Join("; ", status.Warnings)}.",
                        "Look at the newest backup job's output and the warnings above; Get-Backup -Cell shows the history."), status);
            }
            foreach (var cell in report.CellsWithoutBackups)
                WriteFailure(new BackupToolsException("BackupMissing", FailureKind.NotFound,
                    $"Cell '{cell}' has no backups in {report.Repository}.", "Check the cell name, or run its first backup."), cell);
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Repository);
        }
    }
}
