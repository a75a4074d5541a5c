using System.Management.Automation;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.Core.Repository;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

[Cmdlet(VerbsData.Initialize, "BackupRepository", SupportsShouldProcess = true)]
[OutputType(typeof(RepositoryInfo))]
public sealed class InitializeBackupRepositoryCommand : BackupToolsCmdlet, IStorageCredentialParameter
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>S3 access key id (user name) and secret key (password); otherwise the AWS environment/profile.</summary>
    [Parameter]
    public PSCredential? StorageCredential { get; set; }

    [Parameter]
    [ValidateSet("zstd", "gzip", "none", IgnoreCase = true)]
    public string Compression { get; set; } = "zstd";

    [Parameter]
    public int? CompressionLevel { get; set; }

    /// <summary>v2 (the default for a new repository): content-defined chunks in packs, deduplicated across backups, always
    /// encrypted, so it needs a key to back up. v1: one object per backup, may be unencrypted. Not given: an existing
    /// repository is accepted in whichever format it has.</summary>
    [Parameter]
    [ValidateSet("v1", "v2", IgnoreCase = true)]
    public string? Format { get; set; }

    /// <summary>Refuse backups that are not encrypted.</summary>
    [Parameter]
    public SwitchParameter RequireEncryption { get; set; }

    protected override void ProcessRecord()
    {
        var location = ResolveRepository(Path)!;
        try
        {
            CompressionSettings.Parse(Compression, CompressionLevel);
            if (!ShouldProcess(location, "Create a BackupTools repository")) return;
            using var store = ReferenceTo(Path).OpenStore();
            var repository = BackupRepository.Initialize(store, new RepositoryDefaults
            {
                Compression = Compression.ToLowerInvariant(),
                CompressionLevel = CompressionLevel,
                RequireEncryption = RequireEncryption, // v2 implies it: BackupRepository.Initialize adds it
            }, Format is null ? null : int.Parse(Format[1..], System.Globalization.CultureInfo.InvariantCulture));
            WriteObject(RepositoryInfo.From(repository));
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            ThrowFailure(e, location);
        }
    }
}
