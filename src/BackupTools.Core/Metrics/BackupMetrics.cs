using BackupTools.Core.Storage;

namespace BackupTools.Core.Metrics;

/// <summary>
/// Turns statuses into node_exporter textfile metrics and writes the file atomically (temp file in the same
/// folder, fsync, rename), so the collector never scrapes half a file. Labels: repository, cell, engine,
/// source. A series never verified has no verification samples (absent, rather than a misleading 0).
/// </summary>
public static class BackupMetrics
{
    public static string Render(IReadOnlyList<BackupStatus> statuses, IReadOnlyDictionary<string, long> repositoryBytes, DateTimeOffset now)
    {
        var text = new PrometheusText();
        void Family(string name, string help, Func<BackupStatus, double?> value)
        {
            text.Family(name, "gauge", help);
            foreach (var status in statuses)
                if (value(status) is { } v) text.Sample(name, Labels(status), v);
        }

        Family("backup_last_success_timestamp_seconds", "Unix time the newest backup of the series completed.", s => s.LastSuccess.ToUnixTimeMilliseconds() / 1000.0);
        Family("backup_age_seconds", "Seconds since the newest backup of the series completed (at export time).", s => Math.Max(0, (now - s.LastSuccess).TotalSeconds));
        Family("backup_last_size_bytes", "Stored bytes of the newest backup.", s => s.LastBackup.StoredBytes);
        Family("backup_last_raw_size_bytes", "Bytes of the newest backup before compression and encryption.", s => s.LastBackup.RawBytes);
        Family("backup_last_duration_seconds", "How long the newest backup took.", s => s.LastBackup.Duration.TotalSeconds);
        Family("backup_last_verified_restore_timestamp_seconds", "Unix time of the newest passed restore test (Test-BackupIntegrity -RestoreTest).",
            s => s.LastVerifiedRestore?.ToUnixTimeMilliseconds() / 1000.0);
        Family("backup_last_restore_duration_seconds", "Restore time measured by the newest passed restore test (RTO).", s => s.LastRestoreSeconds);
        Family("backup_verify_success", "1 when the last verification of the series passed, 0 when it failed.", s => s.LastVerificationPassed is { } p ? (p ? 1 : 0) : null);
        Family("backup_chain_healthy", "1 when the newest backup's chain is whole (every backup it builds on present).", s => s.ChainHealthy ? 1 : 0);
        Family("backup_healthy", "1 when Get-BackupStatus found no warning for the series.", s => s.Healthy ? 1 : 0);
        Family("backup_series_backups", "Backups of the series in the repository.", s => s.BackupCount);
        Family("backup_series_stored_bytes", "Stored bytes of all backups of the series.", s => s.SeriesStoredBytes);
        Family("backup_archive_newest_event_timestamp_seconds", "Binlog archives: Unix time of the newest archived event (live RPO = now minus this).",
            s => s.ArchiveNewestEvent?.ToUnixTimeMilliseconds() / 1000.0);
        Family("backup_archive_rpo_seconds", "Binlog archives: seconds since the newest archived event (at export time).",
            s => s.ArchiveNewestEvent is { } e ? Math.Max(0, (now - e).TotalSeconds) : null);
        Family("backup_archive_gaps", "Binlog archives: gaps point-in-time recovery cannot cross (named in Get-BackupStatus's warnings).", s => s.ArchiveGaps);
        Family("backup_archiver_heartbeat_age_seconds", "Log series (binlog, WAL): seconds since the long-running archiver's last heartbeat (absent when none ever ran).",
            s => s.Archiver?.HeartbeatAge.TotalSeconds);
        Family("backup_archiver_stale_after_seconds", "Log series: how old the archiver's heartbeat may get (three of its intervals plus 10 s).",
            s => s.Archiver?.StaleAfter.TotalSeconds);
        Family("backup_archiver_up", "Log series: 1 while the archiver beats within its limit, 0 when it is stale or was stopped.",
            s => s.Archiver is { } a ? (a.State == Status.ArchiverHealth.Running ? 1 : 0) : null);
        Family("backup_wal_archiver_lag_seconds", "WAL series: seconds since the newest WAL (segment or stream snapshot) became durable in the repository (the live RPO).",
            s => s.Wal?.ArchiverLag.TotalSeconds);
        Family("backup_wal_gap", "WAL series: 1 when the archive has a hole after the newest base backup (recovery cannot pass it), else 0.", s => s.Wal is { } w ? (w.Gap is null ? 0 : 1) : null);
        Family("backup_wal_base_backup_age_seconds", "WAL series: seconds since the cell's newest base backup completed (how much WAL a recovery replays).",
            s => s.Wal?.BaseBackupAge?.TotalSeconds);

        text.Family("backup_repository_bytes", "gauge", "Stored bytes of all backups in the repository.");
        foreach (var (repository, bytes) in repositoryBytes.OrderBy(r => r.Key, StringComparer.Ordinal))
            text.Sample("backup_repository_bytes", [("repository", repository)], bytes);
        text.Family("backup_metrics_export_timestamp_seconds", "gauge", "Unix time these metrics were written.");
        text.Sample("backup_metrics_export_timestamp_seconds", [], now.ToUnixTimeMilliseconds() / 1000.0);
        return text.ToString();
    }

    private static (string, string)[] Labels(BackupStatus s) =>
        [("repository", s.Repository), ("cell", s.Cell), ("engine", s.Engine), ("source", s.Source)];

    /// <summary>Writes the file atomically; readable by others (node_exporter usually runs as its own user).</summary>
    public static void WriteAtomically(string path, string content)
    {
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        if (!System.IO.Directory.Exists(folder))
            throw new Errors.BackupInputException("MetricsFolderMissing", "Path", $"folder {folder} does not exist.",
                "Point -Path into node_exporter's --collector.textfile.directory (it must exist).");
        var temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                var bytes = System.Text.Encoding.UTF8.GetBytes(content);
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            File.Move(temp, full, overwrite: true);
            PrivateFileSystem.SyncDirectory(folder);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
