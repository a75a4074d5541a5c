using System.Diagnostics;
using System.Security.Cryptography;
using Amazon.S3.Model;
using BackupTools.Core.Audit;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Engines.S3Bucket;

/// <summary>
/// Restore-S3Bucket: puts a bucket backup's objects (bytes, content type, metadata, system headers, tags) into a
/// bucket prefix, then proves it by reading the prefix back: the same set of keys, and every object's SHA-256 equal
/// to the one recorded at backup time. By default into a new, empty prefix; in place only when asked, after a
/// safety backup of the prefix as it is, and then objects the backup does not have are removed.
/// </summary>
public sealed class S3BucketRestoreOperation(IOperationObserver observer)
{
    private const string Activity = "Restore-S3Bucket";

    public S3BucketRestoreResult? Run(S3BucketRestoreRequest request, CancellationToken cancel) =>
        OperationAudit.Run(request.Repository, new AuditSubject("restore", null, S3BucketBackupOperation.EngineName, request.Target ?? request.Id), observer,
            opened => RunUnaudited(opened, request, cancel),
            r => r is null ? null : new AuditOutcome(r.SafetyBackupId is { } s ? [r.RestoredId, s] : [r.RestoredId], $"{r.Objects} objects into {r.Target}"));

    private S3BucketRestoreResult? RunUnaudited(OperationRepository opened, S3BucketRestoreRequest request, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var repository = opened.Get();
        var manifest = repository.GetManifest(request.Id);
        if (manifest.Engine != S3BucketBackupOperation.EngineName)
            throw new BackupInputException("RestoreWrongEngine", "Id", $"backup {manifest.Id} is a {manifest.Engine} backup, not an S3 bucket backup.", "Use the Restore- cmdlet for that engine.");
        var index = S3BucketIndexReader.Read(repository, manifest, request.Keys);
        var targetUri = ResolveTarget(request, manifest, index.Source);
        using var target = new S3BucketClient(targetUri, request.TargetCredential);
        var existing = target.List().Select(o => target.Relative(o.Key)).ToList();
        if (!request.InPlace && existing.Count > 0)
            throw new BackupInputException("S3BucketRestoreTargetNotEmpty", "Target",
                $"{target.Location} already holds {existing.Count} object(s); a restore into a new prefix needs an empty one (so the result can be proven).",
                "Choose another -Target prefix, or restore the source prefix itself with -InPlace (a safety backup is taken first).");
        var wanted = index.Objects.Select(o => o.Key).ToHashSet(StringComparer.Ordinal);
        var extra = existing.Where(k => !wanted.Contains(k)).ToList();
        var action = request.InPlace
            ? $"Make it exactly like backup {manifest.Id} ({manifest.CompletedAt:u}): put {index.Objects.Count} object(s), remove {extra.Count} object(s) the backup does not have; a safety backup is taken first"
            : $"Put {index.Objects.Count} object(s) of backup {manifest.Id} ({manifest.CompletedAt:u}) into this new prefix";
        if (!request.ShouldProcess(target.Location.ToString(), action)) return null;

        string? safetyId = null;
        if (request.InPlace)
        {
            VerifyHolders(repository, index, request, cancel);
            safetyId = TakeSafetyBackup(repository, target, request, manifest, cancel);
        }
        var bytes = PutAll(repository, index, target, request, cancel);
        foreach (var key in extra) target.Delete(key);
        var verification = Prove(target, index, cancel);
        return new S3BucketRestoreResult
        {
            RestoredId = manifest.Id,
            RestoredPointInTime = manifest.CompletedAt,
            Target = target.Location.ToString(),
            Objects = index.Objects.Count,
            Bytes = bytes,
            Removed = extra.Count,
            SafetyBackupId = safetyId,
            Verification = verification,
            Duration = clock.Elapsed,
        };
    }

    private static string ResolveTarget(S3BucketRestoreRequest request, BackupManifest manifest, string source)
    {
        if (request.InPlace)
        {
            if (request.Target != null && Storage.S3.S3Location.Parse(request.Target).ToString() != source)
                throw new BackupInputException("S3BucketRestoreInPlaceTarget", "Target", $"-InPlace restores the backed-up prefix itself ({source}); -Target names another one.",
                    "Drop -Target, or drop -InPlace to restore into that new prefix.");
            return source;
        }
        if (request.Target != null) return request.Target;
        var location = Storage.S3.S3Location.Parse(source);
        return (location with { Prefix = $"bt-restore/{manifest.Id}" + (location.Prefix.Length == 0 ? "" : "/" + location.Prefix) }).ToString();
    }

    private string TakeSafetyBackup(BackupRepository repository, S3BucketClient target, S3BucketRestoreRequest request, BackupManifest restoring, CancellationToken cancel)
    {
        observer.Verbose($"Taking a safety backup of {target.Location} before replacing its objects.");
        using var writerLock = WriterLock.AcquireShared(repository, $"Restore-S3Bucket {target.Location} safety backup", request.LockTimeout, cancel);
        return new S3BucketBackupOperation(observer).RunLocked(repository, target, new S3BucketBackupRequest(request.Repository, target.Location.ToString(), null,
            restoring.Cell, false, null, request.Keys, request.LockTimeout, SafetyBackup.Tags(restoring.Id)), cancel).Id;
    }

    /// <summary>
    /// In place, objects are replaced one by one as the backup is read: a damage found half-way would leave the prefix
    /// half restored. So every holder backup's data is read through and verified first, before anything is replaced.
    /// </summary>
    private void VerifyHolders(BackupRepository repository, S3BucketIndex index, S3BucketRestoreRequest request, CancellationToken cancel)
    {
        foreach (var id in index.Objects.Select(o => o.Holder).OfType<string>().Distinct(StringComparer.Ordinal))
        {
            observer.Verbose($"Verifying the data of backup {id} before replacing any object.");
            using var data = repository.OpenObject(repository.GetManifest(id), BackupManifest.DataRole, request.Keys);
            data.VerifyToEnd(cancel);
        }
    }

    /// <summary>Reads each holder backup's data object once, front to back, putting the objects the index wants from it.</summary>
    private long PutAll(BackupRepository repository, S3BucketIndex index, S3BucketClient target, S3BucketRestoreRequest request, CancellationToken cancel)
    {
        long done = 0;
        long total = index.Objects.Sum(o => o.Size);
        foreach (var group in index.Objects.GroupBy(o => o.Holder ?? throw new BackupIntegrityException("S3BucketIndexInvalid", $"'{o.Key}' has no holder backup in the index.")))
        {
            var holder = repository.GetManifest(group.Key);
            var wanted = group.ToDictionary(o => o.Key, StringComparer.Ordinal);
            var put = 0;
            using var data = repository.OpenObject(holder, BackupManifest.DataRole, request.Keys);
            S3ObjectFrames.Read(data, (frame, body) =>
            {
                if (!wanted.TryGetValue(frame.Key, out var entry) || frame.ETag != entry.ETag || frame.Size != entry.Size) return;
                Put(target, entry, body, cancel);
                put++;
                done += entry.Size;
                observer.Progress(Activity, $"{target.Location}: objects", done, total);
            }, $"the data of backup {holder.Id}", cancel);
            data.VerifyToEnd(cancel);
            if (put != wanted.Count)
                throw new BackupIntegrityException("S3BucketDataInvalid", $"backup {holder.Id} holds {put} of the {wanted.Count} object(s) the index expects from it.");
        }
        return done;
    }

    /// <summary>Stages the object in a private temp file (hashing it), then puts it with its headers and the SHA-256 for the server to check.</summary>
    private static void Put(S3BucketClient target, S3ObjectEntry entry, Stream body, CancellationToken cancel)
    {
        var path = Path.Combine(Path.GetTempPath(), $"bt-s3restore-{Guid.NewGuid():N}.tmp");
        using var staged = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        body.CopyTo(staged, 1 << 20);
        staged.Position = 0;
        var sha = SHA256.HashData(staged);
        if (Convert.ToHexString(sha).ToLowerInvariant() != entry.Sha256)
            throw new BackupIntegrityException("S3BucketObjectHashMismatch", $"'{entry.Key}' does not match the SHA-256 its backup recorded; nothing more was put.");
        staged.Position = 0;
        // Above one part size (the target URI's partSize, 8 MiB by default) a multipart upload: servers cap single PUTs (5 GiB on AWS, far less on some).
        if (entry.Size > target.Location.PartSize)
        {
            using var transfer = new Amazon.S3.Transfer.TransferUtility(target.Sdk, new Amazon.S3.Transfer.TransferUtilityConfig { MinSizeBeforePartUpload = target.Location.PartSize });
            var upload = new Amazon.S3.Transfer.TransferUtilityUploadRequest
            {
                BucketName = target.Bucket, Key = target.FullKey(entry.Key), InputStream = staged, AutoCloseStream = false, ContentType = entry.ContentType, PartSize = target.Location.PartSize,
            };
            foreach (var (k, v) in entry.Metadata) upload.Metadata.Add(k, v);
            ApplyHeaders(upload.Headers, entry);
            if (entry.Tags.Count > 0) upload.TagSet = entry.Tags.Select(t => new Tag { Key = t.Key, Value = t.Value }).ToList();
            target.Call(entry.Key, _ => transfer.UploadAsync(upload, cancel).ContinueWith(t => { t.GetAwaiter().GetResult(); return true; }, cancel));
            return;
        }
        var request = new PutObjectRequest
        {
            BucketName = target.Bucket,
            Key = target.FullKey(entry.Key),
            InputStream = staged,
            AutoCloseStream = false,
            ContentType = entry.ContentType,
            ChecksumAlgorithm = Amazon.S3.ChecksumAlgorithm.SHA256,
            ChecksumSHA256 = Convert.ToBase64String(sha),
        };
        foreach (var (k, v) in entry.Metadata) request.Metadata.Add(k, v);
        ApplyHeaders(request.Headers, entry);
        if (entry.Tags.Count > 0) request.TagSet = entry.Tags.Select(t => new Tag { Key = t.Key, Value = t.Value }).ToList();
        target.Call(entry.Key, c => c.PutObjectAsync(request, cancel));
    }

    private static void ApplyHeaders(HeadersCollection headers, S3ObjectEntry entry)
    {
        if (entry.CacheControl != null) headers.CacheControl = entry.CacheControl;
        if (entry.ContentDisposition != null) headers.ContentDisposition = entry.ContentDisposition;
        if (entry.ContentEncoding != null) headers.ContentEncoding = entry.ContentEncoding;
        if (entry.ContentLanguage != null) headers["Content-Language"] = entry.ContentLanguage;
    }

    /// <summary>Reads the target back: the same keys, and each object's bytes hash to the recorded SHA-256 with the recorded content type and metadata.</summary>
    private string Prove(S3BucketClient target, S3BucketIndex index, CancellationToken cancel)
    {
        var expected = index.Objects.ToDictionary(o => o.Key, StringComparer.Ordinal);
        var listed = target.List().Select(o => target.Relative(o.Key)).ToList();
        var problems = new List<string>();
        problems.AddRange(listed.Where(k => !expected.ContainsKey(k)).Select(k => $"'{k}' is there but not in the backup"));
        problems.AddRange(expected.Keys.Except(listed, StringComparer.Ordinal).Select(k => $"'{k}' is missing"));
        foreach (var key in listed.Where(expected.ContainsKey))
        {
            cancel.ThrowIfCancellationRequested();
            var entry = expected[key];
            using var response = target.Get(key);
            if (response is null) { problems.Add($"'{key}' vanished while it was checked"); continue; }
            var sha = Convert.ToHexString(SHA256.HashData(response.ResponseStream)).ToLowerInvariant();
            if (sha != entry.Sha256) problems.Add($"'{key}' has SHA-256 {sha[..12]}…, the backup {entry.Sha256?[..12]}…");
            if ((response.Headers.ContentType ?? "") != (entry.ContentType ?? "")) problems.Add($"'{key}' has content type '{response.Headers.ContentType}', the backup '{entry.ContentType}'");
            foreach (var (name, value) in entry.Metadata)
                if (response.Metadata[name] != value) problems.Add($"'{key}' lost its metadata '{name}'");
        }
        if (problems.Count > 0)
            throw new BackupIntegrityException("S3BucketRestoreVerificationFailed",
                $"{target.Location} does not match the backup ({problems.Count} difference(s)): {string.Join("; ", problems.Take(10))}.",
                "Restore again; if it repeats, check the target for writers and Test-BackupIntegrity the backup.");
        observer.Verbose($"{listed.Count} objects read back from {target.Location}; every SHA-256 matches the backup.");
        return $"{listed.Count} objects, each SHA-256 read back and matched";
    }
}
