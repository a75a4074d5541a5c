using System.Management.Automation;
using BackupTools.Core.Engines;

namespace BackupTools.PowerShell.Infrastructure;

/// <summary>
/// Restore-Postgres, Restore-MySql: which backup (-Id, piped records, or -Database [-At]), from where
/// (-Repository, -StorageCredential), into what (-TargetDatabase), and the safety-backup and lock options.
/// Leaf cmdlets declare DefaultParameterSetName = "ByDatabase".
/// </summary>
public abstract class DatabaseRestoreCmdlet : DatabaseCmdlet
{
    protected const string ById = "ById";
    protected const string ByDatabase = "ByDatabase";

    [Parameter(Mandatory = true, ParameterSetName = ById, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(BackupIdCompleter))]
    public string Id { get; set; } = "";

    /// <summary>Restore the newest backup of this database (with -At: completed at or before that time).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ByDatabase)]
    [ArgumentCompleter(typeof(BackedUpDatabaseCompleter))]
    public string Database { get; set; } = "";

    [Parameter(ParameterSetName = ByDatabase)]
    public DateTimeOffset? At { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public override string? Repository { get; set; }


    /// <summary>Database to restore into (default: the backed-up database's name).</summary>
    [Parameter]
    public string? TargetDatabase { get; set; }

    [Parameter]
    public SwitchParameter SkipSafetyBackup { get; set; }

    [Parameter]
    [ValidateRange(0, 86400)]
    public int LockTimeoutSec { get; set; }

    protected string? SelectedId => ParameterSetName == ById ? Id : null;
    protected string? SelectedDatabase => ParameterSetName == ByDatabase ? Database : null;
    protected TimeSpan LockTimeout => TimeSpan.FromSeconds(LockTimeoutSec);

    /// <summary>What an error is about: the backup id or the database asked for.</summary>
    protected string Selection => ParameterSetName == ById ? Id : Database;

    private readonly List<RestorePick> _byId = [];

    /// <summary>Restores the backup the parameters (Id, Repository…) select now.</summary>
    protected abstract void RestoreOne();

    /// <summary>Backups by id (piped or not) wait for the end, when it is known that no two land on one database.</summary>
    protected sealed override void ProcessRecord()
    {
        if (ParameterSetName == ById) _byId.Add(new RestorePick(Id, ReferenceTo(Repository)));
        else RestoreOne();
    }

    protected override void EndProcessing()
    {
        if (_byId.Count == 0) return;
        try
        {
            RestoreBatch.EnsureOnePerTarget(_byId,
                m => TargetDatabase ?? m.EngineInfo?["database"]?.GetValue<string>() ?? m.Id);
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
}
