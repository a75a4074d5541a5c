using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Status;

/// <summary>
/// Which keys each backup needs now (after rotations; a chunked backup may need several, see <see cref="NeededKeys"/>) and
/// how old each key is: its creation time from the key file when the wraps recorded it, else the oldest backup wrapped
/// with it (a key is at least as old as its first use).
/// </summary>
public sealed class KeyUse
{
    private readonly IReadOnlyDictionary<string, KeyWrapRecord> _records;
    private readonly Dictionary<string, DateTimeOffset> _createdAt = new(StringComparer.Ordinal);

    public KeyUse(IEnumerable<BackupManifest> manifests, IReadOnlyDictionary<string, KeyWrapRecord>? records)
    {
        _records = records ?? new Dictionary<string, KeyWrapRecord>();
        foreach (var manifest in manifests)
        {
            var record = _records.GetValueOrDefault(manifest.Id);
            foreach (var wrap in KeyWraps.All(manifest, record))
                Saw(wrap.KeyId, wrap.KeyCreatedAt ?? wrap.WrappedAt ?? manifest.CompletedAt);
            foreach (var key in NeededKeys.Of(manifest, record))
                Saw(key.KeyId, key.KeyCreatedAt ?? key.Since ?? manifest.CompletedAt);
        }
    }

    private void Saw(string keyId, DateTimeOffset created)
    {
        if (!_createdAt.TryGetValue(keyId, out var known) || created < known) _createdAt[keyId] = created;
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

    /// <summary>The keys the backup needs (empty: not encrypted).</summary>
    public IReadOnlyList<NeededKey> Needed(BackupManifest manifest) => NeededKeys.Of(manifest, _records.GetValueOrDefault(manifest.Id));

    public IEnumerable<string> OverdueWarnings(IEnumerable<BackupManifest> series, TimeSpan period, DateTimeOffset now) =>
        series.SelectMany(m => Needed(m).DistinctBy(k => k.KeyId))
            .GroupBy(k => k.KeyId)
            .Where(g => now - _createdAt[g.Key] > period)
            .Select(g => $"{g.Count()} backup(s) still need key {KeyErrors.Describe(g.Key, g.Select(k => k.KeyName).FirstOrDefault(n => n != null))}, in use since {_createdAt[g.Key].UtcDateTime:yyyy-MM-dd} " +
                         $"({BackupStatusEvaluator.Describe(now - _createdAt[g.Key])}, rotation period {BackupStatusEvaluator.Describe(period)}): " +
                         "re-wrap them with Update-BackupKey -From <its key file> -To <a new key file>, then retire it");
}
