using System.Management.Automation;
using BackupTools.Core.Engines;
using BackupTools.Core.Engines.Redis;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

[Cmdlet(VerbsData.Restore, "RedisRdb", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(RedisRestoreResult))]
public sealed class RestoreRedisRdbCommand : RedisCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(BackupIdCompleter))]
    public string Id { get; set; } = "";

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public override string? Repository { get; set; }


    /// <summary>The server's dump file (default: CONFIG GET dir + dbfilename).</summary>
    [Parameter]
    public string? RdbPath { get; set; }

    /// <summary>Stops the server (default: SHUTDOWN NOSAVE).</summary>
    [Parameter]
    public ScriptBlock? StopScript { get; set; }

    /// <summary>Starts the server (default: its executable with its config file).</summary>
    [Parameter]
    public ScriptBlock? StartScript { get; set; }

    [Parameter]
    [ValidateRange(1, 86400)]
    public int StartTimeoutSec { get; set; } = 300;

    /// <summary>FileSwap (the dump file, stop/start), Replay (every key over the network) or Auto (FileSwap when possible here).</summary>
    [Parameter]
    public RedisRestoreMethod Method { get; set; } = RedisRestoreMethod.Auto;

    [Parameter]
    public SwitchParameter SkipSafetyBackup { get; set; }

    [Parameter]
    [ValidateRange(0, 86400)]
    public int LockTimeoutSec { get; set; }

    private readonly List<RestorePick> _picks = [];

    /// <summary>Backups wait for the end: several piped in would each replace the one before on the one server.</summary>
    protected override void ProcessRecord() => _picks.Add(new RestorePick(Id, ReferenceTo(Repository)));

    protected override void EndProcessing()
    {
        try
        {
            RestoreBatch.EnsureOnePerTarget(_picks,
                _ => $"the Redis server{(Server is null ? "" : " " + Server)}{(Port is null ? "" : ":" + Port)}");
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            ThrowFailure(e, string.Join(", ", _picks.Select(p => p.Id)));
        }
        foreach (var pick in _picks)
        {
            (Id, Repository) = (pick.Id, pick.Repository.Location);
            RestoreOne();
        }
    }

    private void RestoreOne()
    {
        try
        {
            var request = new RedisRestoreRequest(ReferenceTo(Repository), Id, BuildRedisTarget(), RdbPath is null ? null : ResolvePath(RdbPath),
                null, null, TimeSpan.FromSeconds(StartTimeoutSec), SkipSafetyBackup, LoadKeys(), TimeSpan.FromSeconds(LockTimeoutSec), (_, _) => true, Method);
            var result = RunCore((observer, shouldProcess, cancel) =>
            {
                // Script blocks belong to this runspace: they run on the pipeline thread.
                var pump = (PipelineThreadPump)observer;
                Action? Wrap(ScriptBlock? script) => script is null ? null : () => pump.Invoke(() => script.Invoke());
                return new RedisRestoreOperation(observer).Run(request with { StopServer = Wrap(StopScript), StartServer = Wrap(StartScript), ShouldProcess = shouldProcess }, cancel);
            });
            if (result != null) WriteObject(result);
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Id);
        }
    }
}
