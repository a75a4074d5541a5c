using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Status;

/// <summary>
/// Which key each backup needs now (after rotations) and how old each key is: its creation time from the key file when
/// the wraps recorded it, else the oldest backup wrapped with it (a key is at least as old as its first use).
/// </summary>
public sealed class KeyUse
{
    private readonly IReadOnlyDictionary<string, KeyWrapRecord> _records;
    private readonly Dictionary<string, DateTimeOffset> _createdAt = new(StringComparer.Ordinal);

    public KeyUse(IEnumerable<BackupManifest> manifests, IReadOnlyDictionary<string, KeyWrapRecord>? records)
    {
        _records = records ?? new Dictionary<string, KeyWrapRecord>();
        foreach (var manifest in manifests)
            foreach (var wrap in KeyWraps.All(manifest, _records.GetValueOrDefault(manifest.Id)))
            {
                var created = wrap.KeyCreatedAt ?? wrap.WrappedAt ?? manifest.CompletedAt;
                if (!_createdAt.TryGetValue(wrap.KeyId, out var known) || created < known) _createdAt[wrap.KeyId] = created;
            }
    }

    /// <summary>Get-Backup -KeyRotationPeriod: warnings for the listed backups that still need a key older than the period.</summary>
    public static IReadOnlyList<string> OverdueAmong(BackupRepository repository, IReadOnlyCollection<string> ids, TimeSpan period, IOperationObserver observer, DateTimeOffset? now = null, CancellationToken cancel = default)
    {
        if (period <= TimeSpan.Zero)
            throw new BackupInputException("StatusPolicyInvalid", "KeyRotationPeriod", $"{period} is not a positive duration.", "Give a duration such as 90d.");
        var manifests = repository.ListBackups(observer, cancel);
        var listed = new HashSet<string>(ids, StringComparer.Ordinal);
        return new KeyUse(manifests, repository.AllKeyWraps()).OverdueWarnings(manifests.Where(m => listed.Contains(m.Id)), period, now ?? DateTimeOffset.UtcNow).ToList();
    }

    /// <summary>The wrap whose key the backup needs (null: not encrypted).</summary>
    public KeyWrap? Needed(BackupManifest manifest) => KeyWraps.Current(manifest, _records.GetValueOrDefault(manifest.Id));

    public IEnumerable<string> OverdueWarnings(IEnumerable<BackupManifest> series, TimeSpan period, DateTimeOffset now) =>
        series.Select(m => Needed(m)).OfType<KeyWrap>()
            .GroupBy(w => w.KeyId)
            .Where(g => now - _createdAt[g.Key] > period)
            .Select(g => $"{g.Count()} backup(s) still need key {KeyErrors.Describe(g.Key, g.First().KeyName)}, in use since {_createdAt[g.Key].UtcDateTime:yyyy-MM-dd} " +
                         $"({BackupStatusEvaluator.Describe(now - _createdAt[g.Key])}, rotation period {BackupStatusEvaluator.Describe(period)}): " +
                         "re-wrap them with Update-BackupKey -From <its key file> -To <a new key file>, then retire it");
}
