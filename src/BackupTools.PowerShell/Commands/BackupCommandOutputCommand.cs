using System.Collections;
using System.Management.Automation;
using BackupTools.Core.Engines.Command;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>One BackupRecord holding the standard output of a dump command (any system with one).</summary>
[Cmdlet(VerbsData.Backup, "CommandOutput")]
[OutputType(typeof(BackupRecord))]
public sealed class BackupCommandOutputCommand : SourceBackupCmdlet
{
    /// <summary>Command line (run by /bin/sh -c) that writes the backup to its standard output.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    public string Command { get; set; } = "";

    /// <summary>The cell the backup belongs to (required: a command has no natural name).</summary>
    [Parameter(Mandatory = true)]
    public string Cell { get; set; } = "";

    /// <summary>Reads the same stream on its stdin while it is written; a non-zero exit records nothing.</summary>
    [Parameter]
    public string? VerifyCommand { get; set; }

    [Parameter]
    public string? QuiesceCommand { get; set; }

    [Parameter]
    public string? ResumeCommand { get; set; }

    /// <summary>Variables for every command: string, SecureString or PSCredential values (secrets go here).</summary>
    [Parameter]
    public Hashtable? Environment { get; set; }

    [Parameter]
    [ValidateRange(1, 86400)]
    public int HookTimeoutSec { get; set; } = 300;

    protected override void ProcessRecord()
    {
        try
        {
            var source = new CommandSource(Command, VerifyCommand, QuiesceCommand, ResumeCommand, CommandEnvironment.From(Environment));
            var request = new CommandBackupRequest(RepositoryReference, Cell, source, TimeSpan.FromSeconds(HookTimeoutSec),
                RequestedCompression, LoadKeys(), LockTimeout);
            WriteObject(RunCore((observer, _, cancel) => new CommandBackupOperation(observer).Run(request, cancel)));
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Cell);
        }
    }
}
