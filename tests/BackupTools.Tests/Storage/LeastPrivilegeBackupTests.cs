using System.Management.Automation;
using System.Net;
using BackupTools.Tests.Infrastructure;
using BackupTools.Tests.Servers;

namespace BackupTools.Tests.Storage;

/// <summary>
/// The backup path needs no delete and never overwrites a finished backup's object (docs/keys.md, "Least privilege on
/// S3"): a logging proxy in front of the S3 server records every request of a backup, and the log is checked against
/// the backup-host policy — writes only new keys under backups/ (plus the lease under locks/ and the audit entry),
/// deletes only its own lease and claim under locks/. Retention is the only path that deletes under backups/.
/// </summary>
[Collection("aws-environment")]
public sealed class LeastPrivilegeBackupTests : IDisposable
{
    private readonly PsSession _ps = new();
    private readonly TempDir _dir = new();
    private readonly S3TestBucket _bucket = new();
    private readonly KeyLoggingS3Proxy _proxy = new(TestServers.S3.Endpoint);
    private readonly Dictionary<string, object?> _vars;

    public LeastPrivilegeBackupTests()
    {
        var data = _dir.Sub("data");
        Directory.CreateDirectory(data);
        SampleTree.Create(data);
        _vars = new Dictionary<string, object?>
        {
            ["repo"] = $"s3://{_bucket.Name}/lp?endpoint={Uri.EscapeDataString(_proxy.Endpoint)}",
            ["c"] = new PSCredential("BACKUPHOST", new NetworkCredential("", "secret-of-the-backup-host").SecurePassword),
            ["data"] = data,
            ["key"] = _dir.Sub("prod.public.json"),
            ["priv"] = _dir.Sub("prod.json"),
        };
        _ps.Run("""
            Initialize-BackupRepository -Format v1 -Path $repo -StorageCredential $c | Out-Null
            New-BackupKey -Path $priv -KeyPair | Out-Null
            Backup-Cell -Repository $repo -StorageCredential $c -Name web -Path $data -KeyFile $key | Out-Null
            """, _vars).AssertNoErrors();
    }

    private string Prefix => $"/{_bucket.Name}/lp/";

    /// <summary>Object key (relative to the repository) of a logged request, without the query.</summary>
    private string? RepositoryKey(LoggedRequest r)
    {
        var path = Uri.UnescapeDataString(r.Path.Split('?')[0]);
        return path.StartsWith(Prefix, StringComparison.Ordinal) ? path[Prefix.Length..] : null;
    }

    [Fact]
    public void A_backup_issues_no_delete_under_backups_and_no_put_to_an_existing_key()
    {
        var existing = _bucket.AllKeys().Select(k => k["lp/".Length..]).ToHashSet();
        Assert.Contains(existing, k => k.StartsWith("backups/", StringComparison.Ordinal) && k.EndsWith("/manifest.json", StringComparison.Ordinal));
        _proxy.Clear();

        _ps.Run("Backup-Cell -Repository $repo -StorageCredential $c -Name web -Path $data -KeyFile $key -Type Full | Out-Null", _vars).AssertNoErrors();

        var log = _proxy.Requests.Select(r => (r.Method, Key: RepositoryKey(r), r.Path)).ToList();
        var described = string.Join("\n", log.Select(l => $"{l.Method} {l.Path}"));
        Assert.Contains(log, l => l.Method == "PUT" && l.Key?.EndsWith("/manifest.json", StringComparison.Ordinal) == true);
        var deletes = log.Where(l => l.Method == "DELETE").ToList();
        // Allowed: its own lease (locks/) and the create-exclusive claims (*.claims/…) of the lease and the audit entry.
        Assert.True(deletes.All(l => l.Key is { } k && (k.StartsWith("locks/", StringComparison.Ordinal) || (k.StartsWith("audit/", StringComparison.Ordinal) && k.Contains(".claims/", StringComparison.Ordinal)))),
            "a backup deleted something other than its lease and claims:\n" + described);
        var writes = log.Where(l => l.Method is "PUT" or "POST").ToList();
        // catalog/entries/<new id>.json: the backup's catalog entry (new key, written once, before its manifest).
        Assert.True(writes.All(l => l.Key is { } k && (k.StartsWith("backups/", StringComparison.Ordinal) || k.StartsWith("locks/", StringComparison.Ordinal) || k.StartsWith("audit/", StringComparison.Ordinal) || k.StartsWith("catalog/entries/", StringComparison.Ordinal))),
            "a backup wrote outside backups/, locks/, audit/ and catalog/entries/:\n" + described);
        Assert.True(writes.All(l => !existing.Contains(l.Key!) || l.Key!.StartsWith("locks/", StringComparison.Ordinal)), "a backup overwrote an existing object:\n" + described);
        var backupWrites = writes.Where(l => l.Key!.StartsWith("backups/", StringComparison.Ordinal) && l.Method == "PUT" && !l.Path.Contains("partNumber=", StringComparison.Ordinal)).Select(l => l.Key).ToList();
        Assert.True(backupWrites.Distinct().Count() == backupWrites.Count, "a backup wrote one of its own keys twice:\n" + described);
    }

    public void Dispose()
    {
        _proxy.Dispose();
        _bucket.Dispose();
        _dir.Dispose();
        _ps.Dispose();
    }
}

/// <summary>A backup credential may not delete: the writer's sweep leaves debris with a warning instead of failing the backup.</summary>
public sealed class LeastPrivilegeSweepTests : IDisposable
{
    private readonly TempDir _dir = new();

    private sealed class NoDeleteStore(BackupTools.Core.Storage.IBackupStore inner) : BackupTools.Core.Storage.IBackupStore
    {
        public string Location => inner.Location;
        public BackupTools.Core.Storage.PendingObject OpenWrite(string key, CancellationToken cancel = default) => inner.OpenWrite(key, cancel);
        public Stream OpenRead(string key, CancellationToken cancel = default) => inner.OpenRead(key, cancel);
        public bool Exists(string key, CancellationToken cancel = default) => inner.Exists(key, cancel);
        public long? SizeOf(string key, CancellationToken cancel = default) => inner.SizeOf(key, cancel);
        public IEnumerable<string> List(string prefix, CancellationToken cancel = default) => inner.List(prefix, cancel);
        public void Delete(string key, CancellationToken cancel = default) =>
            throw new BackupTools.Core.Errors.BackupToolsException("S3AccessDenied", BackupTools.Core.Errors.FailureKind.AuthenticationFailure, $"Access denied deleting {key}.");
        public bool TryCreateExclusive(string key, ReadOnlySpan<byte> content, CancellationToken cancel = default) => inner.TryCreateExclusive(key, content, cancel);
        public void Replace(string key, ReadOnlySpan<byte> content, CancellationToken cancel = default) => inner.Replace(key, content, cancel);
        public void Dispose() => inner.Dispose();
    }

    private sealed class Warnings : BackupTools.Core.Operations.IOperationObserver
    {
        public List<string> Messages { get; } = [];
        public void Progress(string activity, string status, long bytesDone, long? bytesTotal) { }
        public void Warning(string message) => Messages.Add(message);
        public void Verbose(string message) { }
    }

    [Fact]
    public void Sweep_without_delete_permission_warns_and_leaves_debris_for_maintenance()
    {
        var path = _dir.Sub("repo");
        BackupTools.Core.Repository.BackupRepository.Initialize(new BackupTools.Core.Storage.LocalBackupStore(path), new BackupTools.Core.Repository.RepositoryDefaults(), formatVersion: 1).Dispose();
        Directory.CreateDirectory(Path.Combine(path, "backups", "20260101T000000Z-web-directory-abcdef"));
        File.WriteAllText(Path.Combine(path, "backups", "20260101T000000Z-web-directory-abcdef", "data"), "debris of a killed writer");

        var warnings = new Warnings();
        using (var restricted = BackupTools.Core.Repository.BackupRepository.Open(new NoDeleteStore(new BackupTools.Core.Storage.LocalBackupStore(path))))
            Assert.Equal(0, BackupTools.Core.Repository.RepositorySweeper.Sweep(restricted, warnings));
        Assert.Contains(warnings.Messages, m => m.Contains("may not delete"));
        Assert.True(File.Exists(Path.Combine(path, "backups", "20260101T000000Z-web-directory-abcdef", "data")));

        using var maintenance = BackupTools.Core.Repository.BackupRepository.Open(new BackupTools.Core.Storage.LocalBackupStore(path));
        Assert.Equal(1, BackupTools.Core.Repository.RepositorySweeper.Sweep(maintenance, warnings));
    }

    public void Dispose() => _dir.Dispose();
}
