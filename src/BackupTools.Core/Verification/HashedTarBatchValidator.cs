using System.Formats.Tar;
using System.Security.Cryptography;
using BackupTools.Core.Errors;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Verification;

/// <summary>How one archive's batches speak of themselves: their name, what a member is, and the error ids they report (catalogued: keep them).</summary>
public sealed record BatchVocabulary(string Batch, string Member, string Members, string UnexpectedErrorId, string DamagedErrorId, string MissingErrorId);

/// <summary>
/// A batch of an archive (WAL, binlog) is a tar holding exactly the members its manifest lists, each with the SHA-256
/// recorded for it: a member the manifest does not list, one whose bytes differ, or one missing is named.
/// </summary>
public sealed class HashedTarBatchValidator(string name, BatchVocabulary words, Func<BackupManifest, IEnumerable<(string Name, string Sha256)>> members) : IContentValidator
{
    public string Name => name;

    public string Validate(Stream raw, BackupManifest manifest)
    {
        var expected = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (member, sha) in members(manifest)) expected[member] = sha;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        using (var tar = new TarReader(raw, leaveOpen: true))
        {
            while (tar.GetNextEntry() is { } entry)
            {
                if (!expected.TryGetValue(entry.Name, out var sha) || entry.DataStream is null || !seen.Add(entry.Name))
                    throw new BackupIntegrityException(words.UnexpectedErrorId, $"The {words.Batch} holds '{entry.Name}', which its manifest does not list (or lists once).");
                if (!string.Equals(Convert.ToHexString(SHA256.HashData(entry.DataStream)), sha, StringComparison.OrdinalIgnoreCase))
                    throw new BackupIntegrityException(words.DamagedErrorId, $"{words.Member} {entry.Name} does not match the SHA-256 recorded for it.");
            }
        }
        var missing = expected.Keys.Where(m => !seen.Contains(m)).ToList();
        if (missing.Count > 0)
            throw new BackupIntegrityException(words.MissingErrorId,
                $"The {words.Batch} holds {seen.Count} of the {expected.Count} {words.Members} its manifest lists; missing: {string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? ", …" : "")}.");
        return $"{seen.Count} {words.Members}, each matching its SHA-256";
    }
}
