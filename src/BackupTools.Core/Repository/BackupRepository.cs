using System.Text.Json;
using System.Text.Json.Nodes;
using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Repository;

/// <summary>
/// A repository: repository.json plus backups/&lt;id&gt;/{objects…, manifest.json}. Listing reads manifests
/// only, so there is no catalog database to rot. See docs/repository-format.md.
/// </summary>
public sealed class BackupRepository : IDisposable
{
    public const string ConfigKey = "repository.json";
    public const string BackupsPrefix = "backups/";

    private BackupRepository(IBackupStore store, RepositoryConfig config)
    {
        Store = store;
        Config = config;
    }

    public IBackupStore Store { get; }

    /// <summary>The writer lock this process holds on the repository, if any: new backups are claimed in its lease.</summary>
    internal WriterLock? HeldLock { get; set; }
    public RepositoryConfig Config { get; }
    public string Location => Store.Location;

    /// <summary>
    /// Creates a repository; on one that exists with the same settings it returns that one (so a setup script can
    /// run again), with other settings it refuses (RepositoryExistsWithOtherSettings) rather than change them.
    /// formatVersion has no default on purpose: every caller states it. null means "not asked for": a new repository
    /// gets NewRepositoryFormatVersion, an existing one is accepted in whichever format it has (a set-up script
    /// written before the default changed must not start failing on the repository it created).
    /// </summary>
    public static BackupRepository Initialize(IBackupStore store, RepositoryDefaults defaults, int? formatVersion)
    {
        if (formatVersion is < 1 or > RepositoryConfig.CurrentFormatVersion)
            throw new BackupInputException("RepositoryFormatUnknown", "Format",
                $"format v{formatVersion} is not one this version writes.", "Use -Format v1 or -Format v2.");
        if (store.Exists(ConfigKey))
        {
            var existing = Open(store);
            var existingFormat = existing.Config.FormatVersion;
            var differences = RepositoryDefaults.Differences(existing.Config.Defaults.For(existingFormat), defaults.For(formatVersion ?? existingFormat));
            if (formatVersion is { } asked && existingFormat != asked)
                differences = [.. differences, $"it is format v{existingFormat}, not v{asked}"];
            if (differences.Count > 0)
                throw new BackupToolsException("RepositoryExistsWithOtherSettings", FailureKind.InvalidArgument,
                    $"{store.Location} is already a BackupTools repository, with other settings: {string.Join("; ", differences)}.",
                    "Use it as it is (drop or match those parameters), or choose another -Path. Settings of an existing repository are not changed.");
            return existing;
        }
        store.Ability<IPreparableStore>()?.PrepareForNewRepository();

        var format = formatVersion ?? RepositoryConfig.NewRepositoryFormatVersion;
        var config = new RepositoryConfig
        {
            Defaults = defaults.For(format),
            FormatVersion = format,
            Chunking = format >= RepositoryConfig.ChunkedFormatVersion ? Chunked.ChunkingConfig.ForNewRepository() : null,
        };
        Catalog.CatalogSegment.Write(store, [], CancellationToken.None); // an empty catalog: listings never need to read every manifest
        store.Replace(ConfigKey, RepositoryJson.Serialize(config));
        return new BackupRepository(store, config);
    }

    public static BackupRepository Open(IBackupStore store) => new(store, ReadConfig(store));

    /// <summary>repository.json as stored now (chunked writers re-read it under the lock: the first backup adds the chunk secret).</summary>
    internal static RepositoryConfig ReadConfig(IBackupStore store)
    {
        if (!store.Exists(ConfigKey)) throw RepositoryErrors.NotFound(store.Location);
        RepositoryConfig config;
        try
        {
            using var stream = store.OpenRead(ConfigKey);
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            config = RepositoryJson.Deserialize<RepositoryConfig>(buffer.ToArray());
        }
        catch (JsonException e)
        {
            throw new BackupIntegrityException("RepositoryConfigMalformed", $"{store.Location}/{ConfigKey} is not valid JSON: {e.Message}", inner: e);
        }
        if (config.Format != RepositoryConfig.FormatName)
            throw RepositoryErrors.NotFound(store.Location);
        if (config.FormatVersion > RepositoryConfig.CurrentFormatVersion)
            throw RepositoryErrors.Unsupported(store.Location, config.FormatVersion);
        if (config.IsChunked && config.Chunking is null)
            throw new BackupIntegrityException("RepositoryConfigMalformed", $"{store.Location}/{ConfigKey} is format v{config.FormatVersion} but has no \"chunking\" section.");
        config.Chunking?.EnsureReadable(store.Location);
        return config;
    }

    /// <summary>Format 2: the chunk → pack index, loaded once and topped up with index files written since.</summary>
    internal Chunked.ChunkIndex ChunkIndex { get; } = new();

    /// <summary>Releases the store's connections (an S3 client).</summary>
    public void Dispose() => Store.Dispose();

    public static string ManifestKey(string id) => $"{BackupsPrefix}{id}/manifest.json";
    public static string ObjectKey(string id, string role) => $"{BackupsPrefix}{id}/{role}";

    /// <summary>All complete backups, oldest first. Unreadable manifests are reported and skipped.</summary>
    public IReadOnlyList<BackupManifest> ListManifests(IOperationObserver? observer = null, CancellationToken cancel = default)
    {
        var manifests = new List<BackupManifest>();
        foreach (var key in Store.List(BackupsPrefix, cancel))
        {
            if (!key.EndsWith("/manifest.json", StringComparison.Ordinal)) continue;
            try
            {
                manifests.Add(ReadManifest(key, cancel));
            }
            catch (BackupToolsException e)
            {
                (observer ?? NullObserver.Instance).Warning($"Skipping {key}: {e.Message}");
            }
        }
        return manifests.OrderBy(m => m.StartedAt).ThenBy(m => m.Id, StringComparer.Ordinal).ToList();
    }

    public BackupManifest GetManifest(string id, CancellationToken cancel = default)
    {
        BackupId.Validate(id);
        var key = ManifestKey(id);
        if (!Store.Exists(key, cancel)) throw RepositoryErrors.BackupNotFound(Location, id);
        return ReadManifest(key, cancel);
    }

    public BackupRecord ToRecord(BackupManifest manifest) => ManifestRecords.ToRecord(manifest, Location, AllKeyWraps().GetValueOrDefault(manifest.Id));

    private Dictionary<string, KeyWrapRecord>? _keyWraps;

    /// <summary>Every rotation record (keywraps/), read once per opened repository: listings need them all.</summary>
    public IReadOnlyDictionary<string, KeyWrapRecord> AllKeyWraps(CancellationToken cancel = default) => _keyWraps ??= KeyWraps.ReadAll(Store, cancel);

    /// <summary>One backup's rotation record: from the listing cache when it was read, else read alone.</summary>
    public KeyWrapRecord? KeyWrapsOf(string id) => _keyWraps != null ? _keyWraps.GetValueOrDefault(id) : KeyWraps.Read(Store, id);

    /// <summary>Replaces a backup's rotation record atomically (and in the cache).</summary>
    internal void WriteKeyWraps(KeyWrapRecord record, CancellationToken cancel = default)
    {
        KeyWraps.Write(Store, record, cancel);
        if (_keyWraps != null) _keyWraps[record.Id] = record;
    }

    public BackupWriter BeginBackup(BackupPlan plan, BackupKeyRing? keys, CancellationToken cancel = default)
    {
        if (Config.IsChunked && (keys is null || keys.IsEmpty))
            throw new BackupInputException("ChunkedRepositoryRequiresKey", "KeyFile",
                $"repository {Location} is format v2 (chunked, deduplicated; the default for new repositories), which always encrypts and needs a key.",
                "Pass -KeyFile/-Key (or set BACKUPTOOLS_KEY or BACKUPTOOLS_KEY_FILE; New-BackupKey makes one), or for unencrypted backups use a repository created with Initialize-BackupRepository -Format v1.");
        if (Config.Defaults.RequireEncryption && (keys is null || keys.IsEmpty))
            throw new BackupInputException("RepositoryRequiresEncryption", "KeyFile",
                $"repository {Location} requires encrypted backups and no key was given.",
                "Pass -KeyFile/-Key, or set BACKUPTOOLS_KEY or BACKUPTOOLS_KEY_FILE.");
        return new BackupWriter(this, plan, keys, cancel);
    }

    /// <summary>Opens a backup object for reading raw bytes; call VerifyToEnd after the last read. A cancel stops a read in flight.</summary>
    public VerifyingReadStream OpenObject(BackupManifest manifest, string role, BackupKeyRing? keys, CancellationToken cancel = default)
    {
        if (manifest.Objects.TryGetValue(role, out var listed) && manifest.IsChunkedObject(listed) && listed.Chunks is null)
            manifest = GetManifest(manifest.Id, cancel); // a catalog summary: the chunk list is in the manifest only
        return VerifyingReadStream.Open(this, manifest, role, keys, cancel);
    }

    /// <summary>
    /// Commits a backup: its catalog entry first, then the manifest (so every manifest has an entry; an entry counts
    /// only once its manifest exists), then — under a writer lease — the catalog upkeep when due (see CatalogCompactor),
    /// which never fails the committed backup.
    /// </summary>
    internal void WriteManifest(BackupManifest manifest, CancellationToken cancel = default)
    {
        Catalog.CatalogEntry.Write(Store, manifest, cancel);
        Store.Replace(ManifestKey(manifest.Id), RepositoryJson.Serialize(manifest), cancel);
        if (HeldLock is null) return;
        try { Catalog.CatalogCompactor.AfterCommit(this, CancellationToken.None); }
        catch (Exception) { /* the catalog stays correct, only larger: the next writer folds it */ }
    }

    /// <summary>
    /// Ends a backup's existence (the caller holds the exclusive lease): a tombstone first, so the catalog stops
    /// listing it even where a segment still does, then the manifest.
    /// </summary>
    internal void DeleteManifest(string id, CancellationToken cancel = default)
    {
        Catalog.CatalogEntry.WriteTombstone(Store, id, cancel);
        Store.Delete(ManifestKey(id), cancel);
    }

    /// <summary>
    /// All complete backups, oldest first, from the catalog (docs/repository-format.md, "The catalog"): a few segment
    /// reads instead of one read per manifest. The objects carry no chunk lists (OpenObject re-reads the manifest).
    /// Without a catalog yet, or with a damaged one (a warning), it reads every manifest as <see cref="ListManifests"/>.
    /// </summary>
    public IReadOnlyList<BackupManifest> ListBackups(IOperationObserver? observer = null, CancellationToken cancel = default)
    {
        Catalog.CatalogSnapshot? snapshot;
        try { snapshot = Catalog.CatalogReader.TryRead(this, cancel); }
        catch (BackupIntegrityException e)
        {
            (observer ?? NullObserver.Instance).Warning($"{e.Message} {e.RecommendedAction}");
            snapshot = null;
        }
        if (snapshot is null) return ListManifests(observer, cancel);
        return snapshot.Backups.Values.OrderBy(m => m.StartedAt).ThenBy(m => m.Id, StringComparer.Ordinal).ToList();
    }

    private BackupManifest ReadManifest(string key, CancellationToken cancel = default)
    {
        try
        {
            using var stream = Store.OpenRead(key, cancel);
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var manifest = RepositoryJson.Deserialize<BackupManifest>(buffer.ToArray());
            if (manifest.Format != BackupManifest.FormatName || manifest.FormatVersion > BackupManifest.CurrentFormatVersion)
                throw new BackupIntegrityException("ManifestUnsupported", $"{key} has format '{manifest.Format}' v{manifest.FormatVersion}, not understood by this version.");
            ManifestBinding.Check(key, manifest, Location);
            return manifest;
        }
        catch (JsonException e)
        {
            throw new BackupIntegrityException("ManifestMalformed", $"{key} in {Location} is not a valid manifest: {e.Message}", inner: e);
        }
    }
}
