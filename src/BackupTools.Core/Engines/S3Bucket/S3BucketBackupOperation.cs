using System.Diagnostics;
using System.Text.Json.Nodes;
using Amazon.S3.Model;
using BackupTools.Core.Audit;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines.S3Bucket;

/// <summary>
/// Backs up an S3/MinIO bucket or prefix: every object with its content type, user metadata, system headers and
/// tags, incrementally — an object whose ETag, size and modification time match the previous backup of the cell is
/// not read again (the index points at the backup that holds its bytes), and keys that disappeared are recorded as
/// deleted. A bucket has no snapshot: each object is consistent by itself, the set is "as listed".
/// </summary>
public sealed class S3BucketBackupOperation(IOperationObserver observer)
{
    public const string EngineName = "s3bucket";
    private const string Activity = "Backup-S3Bucket";

    private BackupTemplate Template => new(observer);

    public BackupRecord Run(S3BucketBackupRequest request, CancellationToken cancel)
    {
        using var source = new S3BucketClient(request.Source, request.SourceCredential);
        return Template.Audited(request.Repository, new AuditSubject("backup", request.Cell, EngineName, source.Location.ToString()), opened =>
            Template.Locked(opened, $"Backup-S3Bucket {source.Location}", request.LockTimeout, cancel, repository => RunLocked(repository, source, request, cancel)));
    }

    internal static string DefaultCell(S3BucketClient source) =>
        ("s3-" + source.Bucket + (source.Location.Prefix.Length == 0 ? "" : "-" + source.Location.Prefix.Replace('/', '-'))).ToLowerInvariant();

    /// <summary>For callers that hold the writer lock already (a restore's safety backup).</summary>
    internal BackupRecord RunLocked(BackupRepository repository, S3BucketClient source, S3BucketBackupRequest request, CancellationToken cancel)
    {
        var cell = request.Cell ?? DefaultCell(source);
        var sourceName = source.Location.ToString();
        var parent = request.Full ? null : LatestOf(repository, cell, sourceName);
        var previous = parent is null ? new Dictionary<string, S3ObjectEntry>(StringComparer.Ordinal)
            : S3BucketIndexReader.Read(repository, parent, request.Keys).Objects.ToDictionary(o => o.Key, StringComparer.Ordinal);
        var backup = new StreamBackup(cell, sourceName, EngineName, request.Compression, request.Keys, request.Tags, Activity, $"{sourceName}: changed objects",
            parent is null ? BackupKind.Full : BackupKind.Incremental, parent?.Id);
        var clock = Stopwatch.StartNew();
        var objects = new List<S3ObjectEntry>();
        long changedBytes = 0;
        var changed = 0;
        return Template.Write(repository, backup, (sink, written) =>
        {
            foreach (var listed in source.List())
            {
                cancel.ThrowIfCancellationRequested();
                var key = source.Relative(listed.Key);
                if (previous.TryGetValue(key, out var known) && known.SameVersionAs(listed.ETag, listed.Size ?? 0, listed.LastModified ?? default))
                {
                    objects.Add(known);
                    continue;
                }
                var entry = Store(source, listed, key, sink, written.Id, cancel);
                if (entry is null) { observer.Warning($"'{key}' was deleted while the backup ran; it is not in this backup."); continue; }
                objects.Add(entry);
                changed++;
                changedBytes += entry.Size;
            }
            S3ObjectFrames.WriteEnd(sink);
        }, written =>
        {
            var present = objects.Select(o => o.Key).ToHashSet(StringComparer.Ordinal);
            var deleted = previous.Keys.Where(k => !present.Contains(k)).Order(StringComparer.Ordinal).ToList();
            written.AddObject(S3BucketIndex.ObjectRole, new S3BucketIndex { Source = sourceName, Objects = objects, Deleted = deleted }.Serialize());
            return new JsonObject
            {
                ["source"] = sourceName,
                ["bucket"] = source.Bucket,
                ["prefix"] = source.Location.Prefix,
                ["objects"] = objects.Count,
                ["bytes"] = objects.Sum(o => o.Size),
                ["changedObjects"] = changed,
                ["changedBytes"] = changedBytes,
                ["unchangedObjects"] = objects.Count - changed,
                ["deletedObjects"] = deleted.Count,
                ["taggedObjects"] = objects.Count(o => o.Tags.Count > 0),
                ["consistency"] = "per object: a bucket has no snapshot, objects are read one after another as listed",
                ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 3),
            };
        }, cancel);
    }

    private static S3ObjectEntry? Store(S3BucketClient source, S3Object listed, string key, Stream sink, string backupId, CancellationToken cancel)
    {
        using var response = source.Get(key);
        if (response is null) return null;
        // The version as listed (the listing's time has milliseconds, the GET header only seconds), so the next backup's
        // comparison matches; if the object changed in between, the GET's values (the next backup reads it again).
        var asListed = response.ETag == listed.ETag && response.ContentLength == listed.Size;
        var entry = new S3ObjectEntry
        {
            Key = key,
            Size = response.ContentLength,
            ETag = response.ETag,
            LastModified = asListed ? listed.LastModified ?? default : response.LastModified ?? default,
            ContentType = response.Headers.ContentType,
            CacheControl = response.Headers.CacheControl,
            ContentDisposition = response.Headers.ContentDisposition,
            ContentEncoding = response.Headers.ContentEncoding,
            ContentLanguage = response.Headers["Content-Language"] is { Length: > 0 } language ? language : null,
            Metadata = UserMetadata(response),
            Tags = source.Tags(key, response.TagCount),
        };
        var sha = S3ObjectFrames.Write(sink, entry, response.ResponseStream, cancel);
        return entry with { Sha256 = sha, Holder = backupId };
    }

    private static Dictionary<string, string> UserMetadata(GetObjectResponse response)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in response.Metadata.Keys)
            metadata[name.StartsWith("x-amz-meta-", StringComparison.OrdinalIgnoreCase) ? name["x-amz-meta-".Length..] : name] = response.Metadata[name];
        return metadata;
    }

    /// <summary>The newest backup of this cell and source to build on (safety backups included: they hold the same prefix).</summary>
    private static BackupManifest? LatestOf(BackupRepository repository, string cell, string source) =>
        repository.ListManifests().LastOrDefault(m => m.Engine == EngineName && m.Cell == cell && m.Source == source);
}
