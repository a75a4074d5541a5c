using System.Management.Automation;
using BackupTools.Core.Keys;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

[Cmdlet(VerbsCommon.New, "BackupKey", SupportsShouldProcess = true)]
[OutputType(typeof(KeyInfo))]
public sealed class NewBackupKeyCommand : BackupToolsCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Overwrite an existing key file (backups made with the old key become unreadable without it).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var path = ResolvePath(Path);
        try
        {
            if (!ShouldProcess(path, "Write a new backup key file")) return;
            var key = BackupKey.Generate();
            BackupKeyFile.Write(path, key, Force);
            WriteObject(new KeyInfo(key.Id, path, key.CreatedAt));
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            ThrowFailure(e, path);
        }
    }
}
