using System.Management.Automation;
using BackupTools.Core.Engines;
using BackupTools.Core.Engines.Directory;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Plans;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

[Cmdlet(VerbsData.Restore, "Cell", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = "ByName")]
[OutputType(typeof(RestoreResult), typeof(CellRestoreReport))]
public sealed class RestoreCellCommand : KeyedCmdlet, IStorageCredentialParameter
{
    private const string PlanSet = "Plan";

    /// <summary>The cell; with -Id, a check that the backup is that cell's.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = "ByName")]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PlanSet)]
    [Parameter(ParameterSetName = "ById")]
    [Alias("Cell")]
    [ArgumentCompleter(typeof(CellNameCompleter))]
    public string Name { get; set; } = "";

    /// <summary>Restore every source of the plan's cell (databases, caches, directories) in the plan's order.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PlanSet)]
    public string Plan { get; set; } = "";

    /// <summary>With -Plan: only these sources of the cell.</summary>
    [Parameter(ParameterSetName = PlanSet)]
    public string[]? Source { get; set; }

    /// <summary>With -Plan: restore into this DR site's endpoints, from its repository.</summary>
    [Parameter(ParameterSetName = PlanSet)]
    public string? Site { get; set; }

    /// <summary>With -Plan: terminate connections to databases being replaced.</summary>
    [Parameter(ParameterSetName = PlanSet)]
    public SwitchParameter Force { get; set; }

    /// <summary>The backup to restore; with -Name it must be a backup of that cell.</summary>
    [Parameter(Mandatory = true, ParameterSetName = "ById", ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(BackupIdCompleter))]
    public string Id { get; set; } = "";

    /// <summary>Restore the newest backup completed at or before this time; with -Plan, sources with a log archive are recovered to this time itself.</summary>
    [Parameter(ParameterSetName = "ByName")]
    [Parameter(ParameterSetName = PlanSet)]
    public DateTimeOffset? At { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Repository { get; set; }

    /// <summary>S3 access key id (user name) and secret key (password); otherwise the AWS environment/profile.</summary>
    [Parameter]
    public PSCredential? StorageCredential { get; set; }

    /// <summary>Where to restore; default: the path the cell was backed up from.</summary>
    [Parameter]
    public string? Destination { get; set; }

    [Parameter]
    public SwitchParameter SkipSafetyBackup { get; set; }

    /// <summary>A script block (gets the RestoreResult as $_ and $args[0]) or an executable path run after the restore.</summary>
    [Parameter]
    public object? RestoreHook { get; set; }

    [Parameter]
    [ValidateRange(1, 86400)]
    public int RestoreHookTimeoutSec { get; set; } = 600;

    [Parameter]
    [ValidateRange(0, 86400)]
    public int LockTimeoutSec { get; set; }

    private readonly List<RestorePick> _byId = [];

    protected override void ProcessRecord()
    {
        if (ParameterSetName == PlanSet) RestoreFromPlan();
        else if (ParameterSetName == "ById") _byId.Add(new RestorePick(Id, ReferenceTo(Repository))); // at the end, once no two are known to share a destination
        else RestoreOne();
    }

    protected override void EndProcessing()
    {
        if (_byId.Count == 0) return;
        try
        {
            RestoreBatch.EnsureOnePerTarget(_byId,
                m => Path.GetFullPath(Destination is null ? m.Source : ResolvePath(Destination)));
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            ThrowFailure(e, string.Join(", ", _byId.Select(p => p.Id)));
        }
        foreach (var pick in _byId)
        {
            (Id, Repository) = (pick.Id, pick.Repository.Location);
            RestoreOne();
        }
    }

    private void RestoreOne()
    {
        var target = Id.Length > 0 ? Id : Name;
        try
        {
            var hook = RestoreHookInvoker.Prepare(RestoreHook, RestoreHookTimeoutSec, ResolvePath);
            var request = new CellRestoreRequest(ReferenceTo(Repository),
                Name.Length > 0 ? Name : null, Id.Length > 0 ? Id : null, At,
                Destination is null ? null : ResolvePath(Destination), SkipSafetyBackup, LoadKeys(),
                TimeSpan.FromSeconds(LockTimeoutSec), (_, _) => true);
            var result = RunCore((observer, shouldProcess, cancel) =>
                new CellRestoreOperation(observer).Run(request with { ShouldProcess = shouldProcess, Hook = hook(observer) }, cancel));
            if (result is null) return;
            if (RestoreHookRunner.FailureOf(result) is { } hookError) WriteFailure(hookError, result.Cell);
            WriteObject(result);
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, target);
        }
    }

    private void RestoreFromPlan()
    {
        try
        {
            var hook = RestoreHookInvoker.Prepare(RestoreHook, RestoreHookTimeoutSec, ResolvePath);
            var plan = PlanLoader.LoadValid(ResolvePath(Plan));
            var request = new PlanCellRestoreRequest(plan, Name, At, Source, Site, Force, SkipSafetyBackup, TimeSpan.FromSeconds(LockTimeoutSec), (_, _) => true,
                StorageCredentials.From(StorageCredential));
            var report = RunCore((observer, shouldProcess, cancel) => new PlanCellRestorer(observer).Run(request with { ShouldProcess = shouldProcess, Hook = hook(observer) }, cancel));
            WriteObject(report);
            foreach (var (error, failedTarget) in CellRestoreFailures.Of(report)) WriteFailure(error, failedTarget);
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Name);
        }
    }
}
