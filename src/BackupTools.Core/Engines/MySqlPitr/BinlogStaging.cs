using System.Formats.Tar;
using System.Security.Cryptography;
using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines.MySqlPitr;

/// <summary>
/// Writes binlog files back out of their batches: every segment at its offset, each checked against the SHA-256
/// its batch recorded (and each batch object against its hash), and every file checked to be contiguous from its
/// start. A damaged or missing piece stops here, before anything is replayed anywhere.
/// </summary>
public static class BinlogStaging
{
    public static IReadOnlyList<string> Stage(BackupRepository repository, BinlogArchive archive, IReadOnlyList<string> files, BackupKeyRing? keys, string folder, CancellationToken cancel)
    {
        System.IO.Directory.CreateDirectory(folder);
        foreach (var file in files)
        {
            long end = 0;
            foreach (var (segment, _) in archive.SegmentsOf(file))
            {
                if (segment.Start != end)
                    throw new BackupIntegrityException("MySqlBinlogGap", $"The archive lacks bytes {end}..{segment.Start} of {file}; replay across it would skip transactions.");
                end = segment.End;
            }
            if (end == 0) throw new BackupIntegrityException("MySqlBinlogGap", $"{file} is not in the binlog archive.");
        }
        var wanted = files.ToHashSet(StringComparer.Ordinal);
        var pieces = files.SelectMany(f => archive.SegmentsOf(f)).Where(p => p.Segment.End > p.Segment.Start).ToList();
        foreach (var batch in pieces.Select(p => p.Batch).DistinctBy(b => b.Id))
        {
            var expected = pieces.Where(p => p.Batch.Id == batch.Id).ToDictionary(p => p.Segment.EntryName, p => p.Segment, StringComparer.Ordinal);
            using var data = repository.OpenObject(batch, BackupManifest.DataRole, keys, cancel);
            using (var tar = new TarReader(data, leaveOpen: true))
                while (tar.GetNextEntry() is { } entry)
                {
                    cancel.ThrowIfCancellationRequested();
                    if (!expected.TryGetValue(entry.Name, out var segment) || entry.DataStream is null) continue;
                    using var output = new FileStream(Path.Combine(folder, segment.File), FileMode.OpenOrCreate, FileAccess.Write);
                    output.Position = segment.Start;
                    using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                    var buffer = new byte[1 << 20];
                    int n;
                    long written = 0;
                    while ((n = entry.DataStream.Read(buffer)) > 0) { hash.AppendData(buffer, 0, n); output.Write(buffer, 0, n); written += n; }
                    if (written != segment.End - segment.Start || Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant() != segment.Sha256)
                        throw new BackupIntegrityException("MySqlBinlogDamaged", $"{segment.File} bytes {segment.Start}..{segment.End} in binlog batch {batch.Id} do not match the SHA-256 recorded for them.");
                    expected.Remove(entry.Name);
                }
            data.VerifyToEnd();
            if (expected.Count > 0)
                throw new BackupIntegrityException("MySqlBinlogDamaged", $"Binlog batch {batch.Id} lacks {expected.Count} segment(s) its manifest lists (first: {expected.Keys.First()}).");
        }
        return files.Where(wanted.Contains).Select(f => Path.Combine(folder, f)).ToList();
    }
}
