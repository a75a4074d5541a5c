using System.Management.Automation;
using BackupTools.Core.Repository.Chunked;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>
/// Prunes a format-2 repository: deletes packs no kept backup uses, rewrites mostly-unused ones, removes packs a
/// killed writer left unindexed. Takes the exclusive lease (waits for running backups). -WhatIf shows what would go.
/// </summary>
[Cmdlet(VerbsCommon.Optimize, "BackupRepository", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(PruneResult))]
public sealed class OptimizeBackupRepositoryCommand : RepositoryCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    public override string? Repository { get; set; }

    /// <summary>Rewrite packs with at least this percentage of unused bytes (100: only delete wholly unused packs).</summary>
    [Parameter]
    [ValidateRange(1, 100)]
    public int RepackThreshold { get; set; } = 50;

    [Parameter]
    [ValidateRange(0, 86400)]
    public int LockTimeoutSec { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            var keys = LoadKeys();
            using var repository = RepositoryReference.Open();
            WriteObject(RunCore((observer, shouldProcess, cancel) =>
                new RepositoryPruner(repository, observer).Prune(keys, RepackThreshold, TimeSpan.FromSeconds(LockTimeoutSec), shouldProcess, cancel)));
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Repository);
        }
    }
}
