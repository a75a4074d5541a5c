using System.Formats.Tar;
using System.Security.Cryptography;
using BackupTools.Core.Errors;
using BackupTools.Core.Repository;
using BackupTools.Core.Verification;

namespace BackupTools.Core.Engines.MySqlPitr;

/// <summary>A binlog batch holds exactly the segments its manifest lists, each with the SHA-256 recorded for it.</summary>
internal sealed class BinlogBatchValidator : IContentValidator
{
    public string Name => "binlog";

    public string Validate(Stream raw, BackupManifest manifest)
    {
        var expected = BinlogArchive.Segments(manifest).ToDictionary(s => s.EntryName, s => s.Sha256, StringComparer.Ordinal);
        var seen = 0;
        using (var tar = new TarReader(raw, leaveOpen: true))
        {
            while (tar.GetNextEntry() is { } entry)
            {
                if (!expected.TryGetValue(entry.Name, out var sha) || entry.DataStream is null)
                    throw new BackupIntegrityException("BinlogBatchUnexpectedEntry", $"The binlog batch holds '{entry.Name}', which its manifest does not list.");
                if (!string.Equals(Convert.ToHexString(SHA256.HashData(entry.DataStream)), sha, StringComparison.OrdinalIgnoreCase))
                    throw new BackupIntegrityException("MySqlBinlogDamaged", $"Binlog segment {entry.Name} does not match the SHA-256 recorded for it.");
                seen++;
            }
        }
        if (seen != expected.Count)
            throw new BackupIntegrityException("BinlogBatchIncomplete", $"The binlog batch holds {seen} of the {expected.Count} segments its manifest lists.");
        return $"{seen} binlog segments, each matching its SHA-256";
    }
}
