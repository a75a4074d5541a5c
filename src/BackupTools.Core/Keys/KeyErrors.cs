using BackupTools.Core.Errors;

namespace BackupTools.Core.Keys;

/// <summary>The errors that ask for a key: they name it (id and name) and say what to pass, never any key material.</summary>
public static class KeyErrors
{
    public static string Describe(string keyId, string? keyName) => keyName is null ? keyId : $"{keyId} ('{keyName}')";

    private static bool IsPair(string keyId) => keyId.StartsWith("p-", StringComparison.Ordinal);

    private static string WhatToPass(string keyId, string? keyName) => IsPair(keyId)
        ? $"Run this on a host that holds the PRIVATE key file of key pair {Describe(keyId, keyName)} (written by New-BackupKey -KeyPair) and pass it with -KeyFile or BACKUPTOOLS_KEY_FILE; its public key file cannot read backups."
        : $"Pass the key file whose id is {keyId} with -KeyFile (or -Key / BACKUPTOOLS_KEY / BACKUPTOOLS_KEY_FILE); New-BackupKey printed the id, Get-Backup shows KeyId.";

    /// <param name="subject">What needs reading, when it is not one backup (e.g. "Re-wrapping data keys").</param>
    public static BackupKeyException PrivateKeyRequired(BackupKey publicKey, string backupId, string? subject = null) =>
        new("PrivateKeyRequired",
            $"{subject ?? $"Backup {backupId}"} can only be read with the private key of key pair {publicKey.Describe()}; this host has only its public key ({publicKey.Origin}), which writes backups but cannot read them.",
            WhatToPass(publicKey.Id, publicKey.Name));

    public static BackupKeyException KeyRequired(string backupId, string keyId, string? keyName) =>
        new("KeyRequired",
            $"Backup {backupId} is encrypted with {(IsPair(keyId) ? "key pair" : "key")} {Describe(keyId, keyName)} and no key was given.",
            WhatToPass(keyId, keyName));

    public static BackupKeyException NotInKeyRing(string backupId, IReadOnlyCollection<(string Id, string? Name)> needed, IEnumerable<BackupKey> given)
    {
        var names = string.Join(" or ", needed.Select(n => Describe(n.Id, n.Name)));
        var have = string.Join(", ", given.Select(k => k.Id));
        var first = needed.First();
        return new BackupKeyException("KeyNotInKeyRing",
            $"Backup {backupId} needs key {names}, which is not among the keys given ({(have.Length == 0 ? "none" : have)}).",
            WhatToPass(first.Id, first.Name));
    }

    public static BackupKeyException WriterSecretMissing(BackupKey publicKey) =>
        new("WriterSecretMissing",
            $"The public key file of key pair {publicKey.Describe()} ({publicKey.Origin}) has no writer secret (it was written by an older version): it can encrypt backups, but cannot name chunks in a format-2 repository or read the file-state index an incremental cell backup compares with.",
            "On the host with the private key file run New-BackupKey -Path <private key file> -ExportPublicKey (optionally -PublicKeyPath <file>) and give the new public key file to the backup hosts.");
}
