using System.Management.Automation;
using BackupTools.Core.Errors;
using BackupTools.Core.Plans;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>
/// Validates a backup.yml: emits a PlanValidation and, for each problem, a BackupPlanInvalid error naming
/// the file, line, key and what is allowed — so `$?` is false and the runner exits 1 on a bad plan.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "BackupPlan")]
[OutputType(typeof(PlanValidation))]
public sealed class TestBackupPlanCommand : BackupToolsCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    public string Path { get; set; } = "";

    protected override void ProcessRecord()
    {
        try
        {
            var result = PlanLoader.Load(ResolvePath(Path));
            WriteObject(new PlanValidation
            {
                Plan = ResolvePath(Path),
                Valid = result.Valid,
                Problems = result.Problems.Select(p => p.ToString()).ToArray(),
                Cells = result.Plan?.Cells.Select(c => c.Name).ToArray() ?? [],
                Sources = result.Plan?.Cells.Sum(c => c.Sources.Count) ?? 0,
                Targets = result.Plan?.Targets.Keys.ToArray() ?? [],
                Sites = result.Plan?.Sites.Keys.ToArray() ?? [],
            });
            foreach (var problem in result.Problems)
                WriteFailure(new BackupToolsException("BackupPlanInvalid", FailureKind.InvalidArgument, problem.ToString(),
                    "docs/backup-plan.md describes every key with an example."), problem.Key);
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Path);
        }
    }
}
