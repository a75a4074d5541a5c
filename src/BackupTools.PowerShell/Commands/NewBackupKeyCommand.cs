using System.Management.Automation;
using BackupTools.Core.Keys;
using BackupTools.PowerShell.Infrastructure;

namespace BackupTools.PowerShell.Commands;

/// <summary>
/// Writes a new secret key file, or with -KeyPair a private key file (-Path) and its public key file (-PublicKeyPath):
/// backup hosts get only the public one, so they can write backups they cannot read. -ExportPublicKey writes the public
/// key file of an existing private key file.
/// </summary>
[Cmdlet(VerbsCommon.New, "BackupKey", SupportsShouldProcess = true)]
[OutputType(typeof(KeyInfo))]
public sealed class NewBackupKeyCommand : BackupToolsCmdlet
{
    /// <summary>The key file to write (with -KeyPair: the private key file).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Make an ECDH P-384 key pair instead of a secret key.</summary>
    [Parameter]
    public SwitchParameter KeyPair { get; set; }

    /// <summary>With -KeyPair: where the public key file goes (default: &lt;Path without extension&gt;.public&lt;extension&gt;).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PublicKeyPath { get; set; }

    /// <summary>Write the public key file of the existing private key file -Path (e.g. again, with the writer secret that format-2 repositories need).</summary>
    [Parameter]
    public SwitchParameter ExportPublicKey { get; set; }

    /// <summary>A name recorded in the key file and in each backup's manifest, so errors can ask for the key by name.</summary>
    [Parameter]
    public string? Name { get; set; }

    /// <summary>Overwrite an existing key file (backups made with the old key become unreadable without it).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var path = ResolvePath(Path);
        try
        {
            if (PublicKeyPath != null && !KeyPair && !ExportPublicKey)
                throw new Core.Errors.BackupInputException("KeyPairParameterWithoutKeyPair", "PublicKeyPath", "it only applies to key pairs.", "Add -KeyPair, or drop -PublicKeyPath.");
            if (ExportPublicKey)
            {
                Export(path);
                return;
            }
            if (!KeyPair)
            {
                if (!ShouldProcess(path, "Write a new backup key file")) return;
                var key = BackupKey.Generate(Name);
                BackupKeyFile.Write(path, key, Force);
                WriteObject(new KeyInfo(key.Id, path, key.CreatedAt) { Name = key.Name });
                return;
            }
            var publicPath = ResolvePath(PublicKeyPath ?? BackupKeyFile.DefaultPublicPath(path));
            if (!ShouldProcess($"{path}, {publicPath}", "Write a new backup key pair (private and public key files)")) return;
            var pair = BackupKey.GenerateKeyPair(Name ?? System.IO.Path.GetFileNameWithoutExtension(path));
            BackupKeyFile.WritePair(path, publicPath, pair, Force);
            WriteObject(new KeyInfo(pair.Id, path, pair.CreatedAt) { Kind = "KeyPair", Name = pair.Name, PublicKeyPath = publicPath });
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            ThrowFailure(e, path);
        }
    }

    private void Export(string path)
    {
        if (KeyPair || Name != null)
            throw new Core.Errors.BackupInputException("ExportPublicKeyConflict", "ExportPublicKey", "it exports the key pair in -Path and cannot be combined with -KeyPair or -Name.", "Drop -KeyPair and -Name.");
        var pair = BackupKeyFile.Read(path, WriteWarning);
        if (pair.Kind != BackupKeyKind.KeyPair)
            throw new Core.Errors.BackupInputException("ExportPublicKeyNotPrivate", "Path", $"'{path}' holds a {(pair.Kind == BackupKeyKind.Secret ? "secret key" : "public key")}, not the private key file of a key pair.",
                "Pass the private key file written by New-BackupKey -KeyPair.");
        var publicPath = ResolvePath(PublicKeyPath ?? BackupKeyFile.DefaultPublicPath(path));
        if (!ShouldProcess(publicPath, $"Write the public key file of key pair {pair.Describe()}")) return;
        BackupKeyFile.WritePublicHalf(path, publicPath, pair, Force);
        WriteObject(new KeyInfo(pair.Id, path, pair.CreatedAt) { Kind = "KeyPair", Name = pair.Name, PublicKeyPath = publicPath });
    }
}
