using BackupTools.Core.Engines.Redis.Rdb;
using BackupTools.Core.Errors;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Verification;

/// <summary>
/// A Redis snapshot must be a whole RDB: magic and version, every opcode and value walked to the EOF marker,
/// the CRC-64 trailer matching when the server computed one, and the key counts the manifest recorded.
/// </summary>
internal sealed class RedisRdbValidator : IContentValidator
{
    public string Name => "rdb";

    public string Validate(Stream raw, BackupManifest manifest)
    {
        RdbSummary summary;
        try
        {
            summary = RdbReader.Read(raw);
        }
        catch (RdbFormatException e)
        {
            throw new BackupIntegrityException(e.ChecksumMismatch ? "RedisRdbChecksumMismatch" : e.Truncated ? "RedisRdbTruncated" : "RedisRdbInvalid",
                $"The snapshot {e.Message} (offset {e.Offset}).");
        }
        var recorded = Engines.Redis.RedisKeyCounts.Recorded(manifest);
        var differing = recorded.Union(summary.Databases).Select(d => d.Index).Distinct()
            .Where(i => recorded.FirstOrDefault(d => d.Index == i) != summary.Databases.FirstOrDefault(d => d.Index == i)).ToList();
        if (recorded.Count > 0 && differing.Count > 0)
            throw new BackupIntegrityException("RedisRdbKeyCountMismatch",
                $"The snapshot's key counts differ from the manifest's in db{string.Join(", db", differing)} ({summary.Keys} keys in the snapshot, {recorded.Sum(d => d.Keys)} recorded).");
        var checksum = summary.ChecksumPresent ? $"CRC-64 {summary.StoredChecksum:x16} matches" : "no checksum written by the server";
        return $"RDB v{summary.Version}, {summary.Databases.Count} database(s), {summary.Keys} keys, {checksum}";
    }
}
