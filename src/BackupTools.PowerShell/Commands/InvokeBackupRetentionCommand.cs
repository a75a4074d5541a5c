using System.Management.Automation;
using BackupTools.Core.Retention;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>
/// Applies a retention policy: emits a RetentionDecision per backup and deletes those no rule keeps
/// (ShouldProcess per backup, so -WhatIf lists exactly what would go). Chain, newest and newest-verified
/// protection live in the core (RetentionEvaluator).
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "BackupRetention", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(RetentionDecision))]
public sealed class InvokeBackupRetentionCommand : BackupToolsCmdlet, IStorageCredentialParameter
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    public string? Repository { get; set; }

    /// <summary>S3 access key id (user name) and secret key (password); otherwise the AWS environment/profile.</summary>
    [Parameter]
    public PSCredential? StorageCredential { get; set; }

    /// <summary>Only these cells; default: every cell in the repository.</summary>
    [Parameter]
    [Alias("Name")]
    [ArgumentCompleter(typeof(CellNameCompleter))]
    public string[]? Cell { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int KeepLast { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int KeepHourly { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int KeepDaily { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int KeepWeekly { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int KeepMonthly { get; set; }

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int KeepYearly { get; set; }

    /// <summary>Keep everything started within this duration of now: a TimeSpan or text like '14d', '12h'.</summary>
    [Parameter]
    [DurationTransformation(nameof(KeepWithin))]
    public TimeSpan? KeepWithin { get; set; }

    [Parameter]
    [ValidateRange(0, 86400)]
    public int LockTimeoutSec { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            var policy = new RetentionPolicy(KeepLast, KeepHourly, KeepDaily, KeepWeekly, KeepMonthly, KeepYearly, KeepWithin);
            var request = new RetentionRequest(ReferenceTo(Repository), policy, Cell, TimeSpan.FromSeconds(LockTimeoutSec), (_, _) => true);
            var outcome = RunCore((observer, shouldProcess, cancel) =>
                new RetentionOperation(observer).Run(request with { ShouldProcess = shouldProcess }, cancel));
            WriteObject(outcome.Decisions, enumerateCollection: true);
            foreach (var failure in outcome.Failures)
                WriteFailure(failure.Error!, failure.Id);
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Repository);
        }
    }
}
