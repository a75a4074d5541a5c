using System.Management.Automation;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

[Cmdlet(VerbsCommon.Get, "Backup")]
[OutputType(typeof(BackupRecord))]
public sealed class GetBackupCommand : BackupToolsCmdlet, IStorageCredentialParameter
{
    [Parameter(Position = 0)]
    public string? Repository { get; set; }

    /// <summary>S3 access key id (user name) and secret key (password); otherwise the AWS environment/profile.</summary>
    [Parameter]
    public PSCredential? StorageCredential { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(CellNameCompleter))]
    public string[]? Cell { get; set; }

    [Parameter]
    public string[]? Source { get; set; }

    [Parameter]
    [Alias("Type")]
    public BackupKind[]? Kind { get; set; }

    [Parameter]
    public DateTimeOffset? Since { get; set; }

    [Parameter]
    public DateTimeOffset? Until { get; set; }

    /// <summary>Only the newest backup of each cell.</summary>
    [Parameter]
    public SwitchParameter Latest { get; set; }

    /// <summary>With -Latest: let a restore's safety backup count as the newest backup of its cell.</summary>
    [Parameter]
    public SwitchParameter IncludeSafety { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(BackupIdCompleter))]
    public string[]? Id { get; set; }

    /// <summary>Warn about listed backups that still need a key older than this (e.g. 90d): rotate with Update-BackupKey.</summary>
    [Parameter]
    [DurationTransformation(nameof(KeyRotationPeriod))]
    public TimeSpan? KeyRotationPeriod { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            using var repository = ReferenceTo(Repository).Open();
            var records = RunCore((observer, _, cancel) => BackupCatalog.Query(repository, new BackupQuery(Cell, Source, Kind, Since, Until, Id, Latest, IncludeSafety), observer, cancel));
            WriteObject(records, enumerateCollection: true);
            if (KeyRotationPeriod is { } period)
                foreach (var warning in RunCore((observer, _, cancel) => Core.Status.KeyUse.OverdueAmong(repository, records.Select(r => r.Id).ToList(), period, observer, cancel: cancel)))
                    WriteWarning(warning);
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            ThrowFailure(e, Repository);
        }
    }
}
