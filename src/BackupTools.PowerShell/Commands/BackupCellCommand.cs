using System.Collections;
using System.Management.Automation;
using BackupTools.Core.Engines.Directory;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

[Cmdlet(VerbsData.Backup, "Cell")]
[OutputType(typeof(BackupRecord))]
public sealed class BackupCellCommand : KeyedCmdlet, IStorageCredentialParameter
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Cell")]
    [ArgumentCompleter(typeof(CellNameCompleter))]
    public string Name { get; set; } = "";

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    public string Path { get; set; } = "";

    /// <summary>One or more repositories: each gets its own complete backup (its own chain and lock).</summary>
    [Parameter]
    public string[]? Repository { get; set; }

    /// <summary>S3 access key id (user name) and secret key (password); otherwise the AWS environment/profile.</summary>
    [Parameter]
    public PSCredential? StorageCredential { get; set; }

    [Parameter]
    [ValidateSet("Full", "Incremental", "Differential", IgnoreCase = true)]
    public string Type { get; set; } = "Full";

    [Parameter]
    [ValidateSet("zstd", "gzip", "none", IgnoreCase = true)]
    public string? Compression { get; set; }

    [Parameter]
    public int? CompressionLevel { get; set; }

    /// <summary>Seconds to wait for another writer's lock before failing (default 0: fail at once).</summary>
    [Parameter]
    [ValidateRange(0, 86400)]
    public int LockTimeoutSec { get; set; }

    [Parameter]
    public Hashtable? Tag { get; set; }

    protected override void ProcessRecord()
    {
        // Several targets (e.g. a NAS and S3): one independent backup each, so one failing target
        // neither stops nor spoils the others.
        string?[] targets = Repository is { Length: > 0 } ? Repository : new string?[] { null };
        foreach (var target in targets)
        {
            try
            {
                var compression = CompressionSettings.ParseOptional(Compression, CompressionLevel);
                var request = new CellBackupRequest(ReferenceTo(target), Name, ResolvePath(Path),
                    Enum.Parse<BackupKind>(Type, ignoreCase: true), compression, LoadKeys(), TimeSpan.FromSeconds(LockTimeoutSec),
                    Tag?.Cast<DictionaryEntry>().ToDictionary(e => e.Key.ToString()!, e => e.Value?.ToString() ?? ""));
                WriteObject(RunCore((observer, _, cancel) => new CellBackupOperation(observer).Run(request, cancel)));
            }
            catch (Exception e) when (e is not PipelineStoppedException)
            {
                WriteFailure(e, Name);
            }
        }
    }
}
