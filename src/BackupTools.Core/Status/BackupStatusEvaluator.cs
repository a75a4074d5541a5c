using System.Globalization;
using BackupTools.Core.Repository;
using BackupTools.Core.Retention;

namespace BackupTools.Core.Status;

/// <summary>
/// Pure status evaluation: manifests and verification records in, one BackupStatus per series out.
/// Copies on required targets are looked up by the caller and passed in as the set of ids each target holds.
/// </summary>
public static class BackupStatusEvaluator
{
    public static IReadOnlyList<BackupStatus> Evaluate(StatusPolicy policy, IReadOnlyList<BackupManifest> manifests,
        IReadOnlyDictionary<string, VerificationEntry> verifications, DateTimeOffset now, string repository,
        IReadOnlyDictionary<string, IReadOnlySet<string>>? idsOnTargets = null, IReadOnlyDictionary<string, KeyWrapRecord>? keyWraps = null,
        IReadOnlyList<ArchiverHeartbeat>? heartbeats = null)
    {
        policy.Validate();
        var present = manifests.Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        var keys = new KeyUse(manifests, keyWraps);
        return manifests
            .GroupBy(RetentionEvaluator.SeriesOf)
            .OrderBy(g => g.Key.Cell, StringComparer.OrdinalIgnoreCase).ThenBy(g => g.Key.Engine, StringComparer.Ordinal).ThenBy(g => g.Key.Source, StringComparer.Ordinal)
            .Select(series => OfSeries(policy, series.OrderByDescending(m => m.StartedAt).ThenByDescending(m => m.Id, StringComparer.Ordinal).ToList(),
                verifications, present, now, repository, idsOnTargets, manifests, keys, heartbeats ?? []))
            .ToList();
    }

    private static BackupStatus OfSeries(StatusPolicy policy, IReadOnlyList<BackupManifest> newestFirst,
        IReadOnlyDictionary<string, VerificationEntry> verifications, IReadOnlySet<string> present, DateTimeOffset now,
        string repository, IReadOnlyDictionary<string, IReadOnlySet<string>>? idsOnTargets, IReadOnlyList<BackupManifest> all, KeyUse keys,
        IReadOnlyList<ArchiverHeartbeat> heartbeats)
    {
        var newest = newestFirst[0];
        var wal = Engines.PostgresPitr.WalArchiveHealth.Status(newest, all, now);
        var warnings = new List<string>(Engines.PostgresPitr.WalArchiveHealth.Warnings(wal));
        var binlog = Engines.MySqlPitr.BinlogArchiveHealth.Of(newest, all);
        warnings.AddRange(binlog?.Warnings ?? []);
        var archiver = ArchiverHealth.Of(heartbeats, newest, now);
        warnings.AddRange(ArchiverHealth.Warnings(archiver, newest.Engine));
        var age = now - newest.CompletedAt;
        if (age > policy.EffectiveMaxAge)
            warnings.Add($"newest backup is {Describe(age)} old (max {Describe(policy.EffectiveMaxAge)})");

        var chainHealthy = ChainIsWhole(newest, newestFirst, present, out var missingParent);
        if (!chainHealthy)
            warnings.Add($"newest backup {newest.Id} cannot be restored: the backup it builds on ({missingParent}) is missing");

        if (newestFirst.Skip(1).FirstOrDefault(m => m.Kind == newest.Kind) is { } previous && policy.MinSizeRatio > 0
            && previous.Data.RawBytes > 0 && newest.Data.RawBytes < policy.MinSizeRatio * previous.Data.RawBytes)
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"newest backup is {newest.Data.RawBytes * 100.0 / previous.Data.RawBytes:0.#}% of the size of the previous {newest.Kind.ToString().ToLowerInvariant()} ({newest.Data.RawBytes} vs {previous.Data.RawBytes} bytes)"));

        var checkedBackups = newestFirst.Where(m => verifications.ContainsKey(m.Id)).Select(m => verifications[m.Id]).ToList();
        var lastCheck = checkedBackups.OrderByDescending(v => v.VerifiedAt).FirstOrDefault();
        if (lastCheck is { Passed: false })
            warnings.Add($"last verification ({lastCheck.Id}, {lastCheck.VerifiedAt.UtcDateTime:yyyy-MM-dd HH:mm}Z) failed{(lastCheck.FailedCheck is { } check ? $" at {check}" : "")}");
        var lastPassed = checkedBackups.Where(v => v.Passed).MaxBy(v => v.VerifiedAt);
        if (policy.MaxVerifyAge is { } maxVerifyAge && (lastPassed is null || now - lastPassed.VerifiedAt > maxVerifyAge))
            warnings.Add(lastPassed is null ? "never verified" : $"last passed verification is {Describe(now - lastPassed.VerifiedAt)} old (max {Describe(maxVerifyAge)})");
        var lastRestore = checkedBackups.Where(v => v.Passed && v.RestoreTested).MaxBy(v => v.VerifiedAt);

        foreach (var (target, ids) in idsOnTargets ?? new Dictionary<string, IReadOnlySet<string>>())
            if (!ids.Contains(newest.Id))
                warnings.Add($"newest backup {newest.Id} has no copy on required target {target}");

        if (policy.KeyRotationPeriod is { } period) warnings.AddRange(keys.OverdueWarnings(newestFirst, period, now));

        return new BackupStatus
        {
            Repository = repository,
            Cell = newest.Cell,
            Engine = newest.Engine,
            Source = newest.Source,
            BackupCount = newestFirst.Count,
            LastBackup = ManifestRecords.ToRecord(newest, repository, keys.Needed(newest)),
            KeysNeeded = newestFirst.SelectMany(keys.Needed).Select(k => k.KeyId).Distinct().Order(StringComparer.Ordinal).ToArray(),
            Age = age,
            LastVerified = lastCheck?.VerifiedAt,
            LastVerificationPassed = lastCheck?.Passed,
            LastVerifiedId = lastCheck?.Id,
            LastVerifiedRestore = lastRestore?.VerifiedAt,
            LastVerifiedRestoreAge = lastRestore is null ? null : now - lastRestore.VerifiedAt,
            LastRestoreSeconds = lastRestore?.RestoreSeconds,
            SeriesStoredBytes = newestFirst.Sum(m => m.Objects.Values.Sum(o => o.StoredBytes)),
            ChainHealthy = chainHealthy,
            ArchiveNewestEvent = binlog?.NewestEvent,
            ArchiveGaps = binlog?.Gaps.Count,
            Warnings = warnings.ToArray(),
            Wal = wal,
            Archiver = archiver,
        };
    }

    private static bool ChainIsWhole(BackupManifest newest, IReadOnlyList<BackupManifest> series, IReadOnlySet<string> present, out string? missing)
    {
        var byId = series.ToDictionary(m => m.Id, StringComparer.Ordinal);
        var current = newest;
        var seen = new HashSet<string>(StringComparer.Ordinal) { newest.Id };
        while (current.ParentId is { } parent)
        {
            if (!present.Contains(parent) || !byId.TryGetValue(parent, out var next) || !seen.Add(parent))
            {
                missing = parent;
                return false;
            }
            current = next;
        }
        missing = null;
        return true;
    }

    public static string Describe(TimeSpan span) => Durations.Format(span < TimeSpan.Zero ? TimeSpan.Zero : span);
}
