using System.Collections;
using System.Management.Automation;
using BackupTools.Core.Engines.Command;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>Feeds a Backup-CommandOutput backup to a restore command's standard input.</summary>
[Cmdlet(VerbsData.Restore, "CommandOutput", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(CommandRestoreResult))]
public sealed class RestoreCommandOutputCommand : RepositoryCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(BackupIdCompleter))]
    public string Id { get; set; } = "";

    /// <summary>Command line (run by /bin/sh -c) that reads the backup from its standard input.</summary>
    [Parameter(Mandatory = true)]
    public string Command { get; set; } = "";

    /// <summary>Variables for the command: string, SecureString or PSCredential values (secrets go here).</summary>
    [Parameter]
    public Hashtable? Environment { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public override string? Repository { get; set; }


    protected override void ProcessRecord()
    {
        try
        {
            var request = new CommandRestoreRequest(ReferenceTo(Repository), Id, Command, CommandEnvironment.From(Environment), LoadKeys(), (_, _) => true);
            var result = RunCore((observer, shouldProcess, cancel) => new CommandRestoreOperation(observer).Run(request with { ShouldProcess = shouldProcess }, cancel));
            if (result != null) WriteObject(result);
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            WriteFailure(e, Id);
        }
    }
}
