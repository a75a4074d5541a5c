using System.Text.Json.Nodes;
using BackupTools.Core.Keys;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.Core.Pipeline.Encryption;

namespace BackupTools.Core.Repository;

/// <summary>
/// Writes one backup: objects streamed through compress → encrypt → hash → store, then the manifest last.
/// Disposing without <see cref="Complete"/> removes every object already stored, so an interrupted backup
/// leaves neither a listing entry nor orphaned data.
/// </summary>
public sealed class BackupWriter : IDisposable
{
    private readonly BackupRepository _repository;
    private readonly BackupPlan _plan;
    private readonly BackupKey? _key;
    private readonly byte[]? _dataKey;
    private readonly Dictionary<string, ManifestObject> _objects = new();
    private bool _completed;

    internal BackupWriter(BackupRepository repository, BackupPlan plan, BackupKey? key)
    {
        plan.Compression.Validate();
        BackupId.ValidateCellName(plan.Cell);
        _repository = repository;
        _plan = plan;
        _key = key;
        StartedAt = DateTimeOffset.UtcNow;
        Id = BackupId.New(StartedAt, plan.Cell, plan.Engine);
        repository.HeldLock?.Claim([Id]); // before the first object: a concurrent writer's sweep must see it is in flight
        if (key != null) _dataKey = DataKeys.NewDataKey();
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
        var pending = _repository.Store.OpenWrite(key);
        return new ObjectWriteStream(pending, _plan.Compression, _dataKey, _key?.Id,
            _repository.Config.Defaults.SegmentSize, info => _objects[role] = info);
    }

    /// <summary>Writes the manifest (the commit point of the whole backup) and returns it.</summary>
    public BackupManifest Complete(JsonObject? engineInfo)
    {
        if (!_objects.ContainsKey(BackupManifest.DataRole))
            throw new InvalidOperationException("a backup needs its data object before it can complete");
        var manifest = new BackupManifest
        {
            Id = Id,
            Cell = _plan.Cell,
            Source = _plan.Source,
            Engine = _plan.Engine,
            Kind = _plan.Kind,
            ParentId = _plan.ParentId,
            StartedAt = StartedAt,
            CompletedAt = DateTimeOffset.UtcNow,
            Host = Environment.MachineName,
            ToolVersion = ToolInfo.Version,
            Compression = new ManifestCompression
            {
                Algorithm = _plan.Compression.Algorithm.ToString().ToLowerInvariant(),
                Level = _plan.Compression.EffectiveLevel,
            },
            Encryption = _key is null ? null : new ManifestEncryption
            {
                SegmentSize = _repository.Config.Defaults.SegmentSize,
                KeyId = _key.Id,
                WrappedDataKey = DataKeyWrapper.Wrap(_key.Material, _dataKey, Id),
            },
            Objects = new Dictionary<string, ManifestObject>(_objects),
            EngineInfo = engineInfo,
            Tags = _plan.Tags is null ? new() : new Dictionary<string, string>(_plan.Tags),
        };
        _repository.WriteManifest(manifest);
        _completed = true;
        return manifest;
    }

    public void Dispose()
    {
        if (!_completed)
        {
            foreach (var info in _objects.Values)
            {
                try { _repository.Store.Delete(info.Key); } catch (Exception e) when (e is IOException or Errors.BackupToolsException) { /* tmp sweep / GC finds it */ }
            }
        }
        if (_dataKey != null) Array.Clear(_dataKey);
    }
}
