using System.Text.Json.Nodes;
using BackupTools.Core.Keys;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.Core.Pipeline.Encryption;
using BackupTools.Core.Repository.Chunked;

namespace BackupTools.Core.Repository;

/// <summary>
/// Writes one backup: objects streamed through compress → encrypt → hash → store (format 2: chunk → pack), then the
/// manifest last (format 2: after the packs and the index file). Disposing without <see cref="Complete"/> removes
/// every object, pack and index file already stored, so an interrupted backup leaves neither a listing entry nor
/// orphaned data.
/// </summary>
public sealed class BackupWriter : IDisposable
{
    private readonly BackupRepository _repository;
    private readonly BackupPlan _plan;
    private readonly BackupKey? _key;
    private readonly BackupKeyRing? _keys;
    private readonly byte[]? _dataKey;
    private readonly ChunkStoreWriter? _chunks;
    private readonly Dictionary<string, ManifestObject> _objects = new();
    private readonly List<byte[]> _objectKeys = new();
    private readonly CancellationToken _cancel;
    /// <summary>Set when this writes a copy of another repository's backup in this repository's layout (Copy-Backup, Sync).</summary>
    private readonly BackupManifest? _original;
    private bool _completed;

    /// <param name="cancel">The operation's token, for every store call that writes; the cleanup in Dispose runs without it (it must run after a cancel).</param>
    /// <param name="original">A backup being copied: the copy keeps its id, times, host, chain, engine facts and tags.</param>
    internal BackupWriter(BackupRepository repository, BackupPlan plan, BackupKeyRing? keys, CancellationToken cancel = default, BackupManifest? original = null)
    {
        _cancel = cancel;
        plan.Compression.Validate();
        BackupId.ValidateCellName(plan.Cell);
        _repository = repository;
        _plan = plan;
        _original = original;
        _key = keys?.IsEmpty == false ? keys.Current : null;
        _keys = keys;
        StartedAt = original?.StartedAt ?? DateTimeOffset.UtcNow;
        Id = original?.Id ?? BackupId.New(StartedAt, plan.Cell, plan.Engine);
        repository.HeldLock?.Claim([Id]); // before the first object: a concurrent writer's sweep must see it is in flight
        if (repository.Config.IsChunked) _chunks = new ChunkStoreWriter(repository, keys!, plan.Compression);
        else if (_key != null) _dataKey = DataKeys.NewDataKey();
    }

    public string Id { get; }
    public DateTimeOffset StartedAt { get; }
    public string? KeyId => _key?.Id;

    /// <summary>Opens the object for a role ("data", "index"…); write raw bytes, then call Complete on it.</summary>
    public ObjectWriteStream OpenObject(string role)
    {
        if (_completed) throw new InvalidOperationException("backup already completed");
        if (_objects.ContainsKey(role)) throw new InvalidOperationException($"object '{role}' already written");
        var key = BackupRepository.ObjectKey(Id, role);
        IObjectSink sink = _chunks is not null
            ? new ChunkedObjectSink(key, _chunks)
            : new SingleObjectSink(_repository.Store.OpenWrite(key, _cancel), _plan.Compression, _dataKey, _key?.Id, _repository.Config.Defaults.SegmentSize);
        return new ObjectWriteStream(sink, info => _objects[role] = info);
    }

    /// <summary>
    /// A key pair: an object a write-only host can read back — metadata only, never content (a cell's file-state index,
    /// which the next incremental compares with). Its own data key is wrapped under the pair's writer secret. In both
    /// formats it is a single object in the backup's folder (format 2 too: a pack's key is wrapped to the public key,
    /// which a write-only host cannot open, so it cannot go into packs).
    /// </summary>
    public bool CanWriteWriterReadable => _key is { Kind: not BackupKeyKind.Secret, HasWriterSecret: true };

    public ObjectWriteStream OpenWriterReadableObject(string role)
    {
        if (!CanWriteWriterReadable) throw new InvalidOperationException("writer-readable objects need a key pair with a writer secret");
        if (_completed) throw new InvalidOperationException("backup already completed");
        if (_objects.ContainsKey(role)) throw new InvalidOperationException($"object '{role}' already written");
        var key = BackupRepository.ObjectKey(Id, role);
        var objectKey = DataKeys.NewDataKey();
        _objectKeys.Add(objectKey);
        var wrapped = WriterKeyWrap.Wrap(_key!, objectKey, WriterReadableObjects.AssociatedData(key));
        var sink = new SingleObjectSink(_repository.Store.OpenWrite(key, _cancel), _plan.Compression, objectKey, _key!.Id, _repository.Config.Defaults.SegmentSize);
        return new ObjectWriteStream(sink, info => _objects[role] = new ManifestObject
        {
            Key = info.Key, StoredBytes = info.StoredBytes, Sha256 = info.Sha256, RawBytes = info.RawBytes, RawSha256 = info.RawSha256,
            KeyId = _key.Id, WrappedKey = wrapped,
        });
    }

    /// <summary>Writes the manifest (the commit point of the whole backup) and returns it.</summary>
    public BackupManifest Complete(JsonObject? engineInfo)
    {
        if (!_objects.ContainsKey(BackupManifest.DataRole))
            throw new InvalidOperationException("a backup needs its data object before it can complete");
        _chunks?.Seal(); // packs and their index file exist before the manifest names their chunks
        var manifest = new BackupManifest
        {
            FormatVersion = _chunks is null ? BackupManifest.SingleObjectFormatVersion : BackupManifest.CurrentFormatVersion,
            Layout = _chunks is null ? BackupManifest.SingleObjectLayout : BackupManifest.ChunkedLayout,
            Id = Id,
            Cell = _plan.Cell,
            Source = _plan.Source,
            Engine = _plan.Engine,
            Kind = _plan.Kind,
            ParentId = _plan.ParentId,
            StartedAt = StartedAt,
            CompletedAt = _original?.CompletedAt ?? DateTimeOffset.UtcNow,
            Host = _original?.Host ?? Environment.MachineName,
            ToolVersion = _original?.ToolVersion ?? ToolInfo.Version,
            Compression = new ManifestCompression
            {
                Algorithm = _plan.Compression.Algorithm.ToString().ToLowerInvariant(),
                Level = _plan.Compression.EffectiveLevel,
            },
            Encryption = _key is null ? null : new ManifestEncryption
            {
                Algorithm = _chunks is null ? "AES-256-GCM-STREAM" : ChunkedEncryptionAlgorithm,
                SegmentSize = _repository.Config.Defaults.SegmentSize,
                KeyId = _key.Id,
                KeyName = _key.Name,
                KeyCreatedAt = _key.KnownCreatedAt,
                WrappedDataKey = _chunks is null ? DataKeyWrapper.Wrap(_key, _dataKey, Id) : null,
                KeysNeeded = _chunks?.KeyIdsNeeded().Select(id => NeededKeyOf(id)).ToList(),
            },
            Objects = new Dictionary<string, ManifestObject>(_objects),
            EngineInfo = engineInfo,
            Tags = _plan.Tags is null ? new() : new Dictionary<string, string>(_plan.Tags),
        };
        _repository.WriteManifest(manifest, _cancel);
        _completed = true;
        return manifest;
    }

    /// <summary>A key this backup needs, named from the writer's key ring when it holds that key.</summary>
    private NeededKey NeededKeyOf(string keyId) => _keys != null && _keys.TryFind(keyId, out var key)
        ? NeededKey.For(key)
        : new NeededKey { KeyId = keyId };

    /// <summary>Chunked backups: every blob is a BTSEG stream under its pack's own data key (wrapped in the pack and the index).</summary>
    public const string ChunkedEncryptionAlgorithm = "AES-256-GCM-PACKS";

    public void Dispose()
    {
        if (!_completed) _chunks?.Discard();
        _chunks?.Dispose();
        if (!_completed)
        {
            foreach (var info in _objects.Values)
            {
                if (info.Chunks is not null) continue; // a name only: its chunks are in packs, discarded above
                try { _repository.Store.Delete(info.Key); } catch (Exception e) when (e is IOException or Errors.BackupToolsException) { /* tmp sweep / GC finds it */ }
            }
        }
        if (_dataKey != null) Array.Clear(_dataKey);
        foreach (var key in _objectKeys) Array.Clear(key);
    }
}
