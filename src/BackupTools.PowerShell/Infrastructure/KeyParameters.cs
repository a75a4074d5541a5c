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

    /// <summary>A second repository's keys (-TargetKeyFile/-TargetKey…): only what was given, never the environment; null when none.</summary>
    protected BackupKeyRing? LoadOtherKeys(string[]? keyFiles, SecureString[]? keys)
    {
        if (keyFiles is not { Length: > 0 } && keys is not { Length: > 0 }) return null;
        var base64 = (keys ?? []).Select(k => new NetworkCredential(string.Empty, k).Password).ToList();
        return BackupKeyRing.Load(new KeySources((keyFiles ?? []).Select(ResolvePath).ToList(), base64, UseEnvironment: false), WriteWarning);
    }
}
