using System.Formats.Tar;
using System.Security.Cryptography;
using BackupTools.Core.Engines.PostgresPitr;
using BackupTools.Core.Errors;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Verification;

/// <summary>A WAL batch holds exactly the files its manifest lists, each with the SHA-256 recorded for it.</summary>
internal sealed class WalBatchValidator : IContentValidator
{
    public string Name => "wal";

    public string Validate(Stream raw, BackupManifest manifest)
    {
        var expected = WalArchive.Files(manifest).ToDictionary(f => f.Name, f => f.Sha256, StringComparer.Ordinal);
        var seen = 0;
        using (var tar = new TarReader(raw, leaveOpen: true))
        {
            while (tar.GetNextEntry() is { } entry)
            {
                if (!expected.TryGetValue(entry.Name, out var sha) || entry.DataStream is null)
                    throw new BackupIntegrityException("WalBatchUnexpectedFile", $"The WAL batch holds '{entry.Name}', which its manifest does not list.");
                if (Convert.ToHexString(SHA256.HashData(entry.DataStream)).ToLowerInvariant() != sha)
                    throw new BackupIntegrityException("WalFileDamaged", $"{entry.Name} does not match the SHA-256 recorded for it.");
                seen++;
            }
        }
        if (seen != expected.Count)
            throw new BackupIntegrityException("WalFileMissing", $"The WAL batch holds {seen} of the {expected.Count} files its manifest lists.");
        return $"{seen} WAL files, each matching its SHA-256";
    }
}
