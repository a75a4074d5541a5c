using System.Management.Automation;
using BackupTools.Core.Repository;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>
/// Deletes backups by id. Piped ids are collected and deleted together at the end, newest first, so a
/// whole chain piped in goes child before parent; a backup that a remaining backup builds on is refused
/// (BackupHasDependents) unless -Force.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "Backup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveBackupCommand : BackupToolsCmdlet, IStorageCredentialParameter
{
    private readonly Dictionary<string, List<string>> _byRepository = new(StringComparer.Ordinal);

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(BackupIdCompleter))]
    public string[] Id { get; set; } = [];

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Repository { get; set; }

    /// <summary>S3 access key id (user name) and secret key (password); otherwise the AWS environment/profile.</summary>
    [Parameter]
    public PSCredential? StorageCredential { get; set; }

    /// <summary>Delete even when other backups build on it (they become unrestorable).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    [ValidateRange(0, 86400)]
    public int LockTimeoutSec { get; set; }

    protected override void ProcessRecord()
    {
        var repository = ResolveRepository(Repository) ?? "";
        if (!_byRepository.TryGetValue(repository, out var ids)) _byRepository[repository] = ids = [];
        ids.AddRange(Id);
    }

    protected override void EndProcessing()
    {
        foreach (var (location, ids) in _byRepository)
        {
            try
            {
                using var repository = ReferenceTo(location.Length == 0 ? null : location).Open();
                var results = RunCore((observer, shouldProcess, cancel) =>
                    new BackupDeleter(repository, observer).Remove(ids, Force, TimeSpan.FromSeconds(LockTimeoutSec), shouldProcess, cancel));
                foreach (var failed in results.Where(r => r.Error != null))
                    WriteFailure(failed.Error!, failed.Id);
            }
            catch (Exception e) when (e is not PipelineStoppedException)
            {
                WriteFailure(e, location);
            }
        }
    }
}
