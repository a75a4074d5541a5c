using System.Management.Automation;
using System.Net;
using System.Security;
using BackupTools.Core.Keys;

namespace BackupTools.PowerShell.Infrastructure;

/// <summary>
/// Base for cmdlets that read or write encrypted backups: -KeyFile and -Key (SecureString), plus the
/// BACKUPTOOLS_KEY / BACKUPTOOLS_KEY_FILE environment variables. All keys form one ring: the newest
/// encrypts, any decrypts by id.
/// </summary>
public abstract class KeyedCmdlet : BackupToolsCmdlet
{
    /// <summary>Key files written by New-BackupKey.</summary>
    [Parameter]
    public string[]? KeyFile { get; set; }

    /// <summary>Keys as SecureStrings holding the base64 key text.</summary>
    [Parameter]
    public SecureString[]? Key { get; set; }

    protected BackupKeyRing LoadKeys()
    {
        var base64 = (Key ?? []).Select(k => new NetworkCredential(string.Empty, k).Password).ToList();
        var files = (KeyFile ?? []).Select(ResolvePath).ToList();
        return BackupKeyRing.Load(new KeySources(files, base64, UseEnvironment: true), WriteWarning);
    }
}
