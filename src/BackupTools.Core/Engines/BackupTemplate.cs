using System.Text.Json.Nodes;
using BackupTools.Core.Audit;
using BackupTools.Core.Engines.External;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines;

/// <summary>
/// A backup whose data is one stream: what it is called in the repository and how it is written. Compression
/// null means the repository's default; Activity (a cmdlet name) turns on Write-Progress with ProgressLabel;
/// Parent is the backup an incremental builds on.
/// </summary>
public sealed record StreamBackup(string Cell, string Source, string Engine, CompressionSettings? Compression, BackupKeyRing? Keys,
    IReadOnlyDictionary<string, string>? Tags = null, string? Activity = null, string ProgressLabel = "", BackupKind Kind = BackupKind.Full, string? Parent = null);

/// <summary>The backup being written, for engines that need its id (objects pointing at it) or store objects beside the data (an index).</summary>
public sealed class BackupInProgress(BackupWriter writer)
{
    public string Id => writer.Id;

    /// <summary>Stores a further object (role other than data) before the manifest.</summary>
    public void AddObject(string role, byte[] content)
    {
        using var stream = writer.OpenObject(role);
        stream.Write(content);
        stream.Complete();
    }
}

/// <summary>
/// The steps every backup shares, in one place (the backup-side sibling of DatabaseRestoreFlow): the audit entry,
/// the writer lock and the sweep of interrupted backups, the repository's compression default, and the write
/// itself — data object first, manifest last, every stored object discarded when the source fails or the
/// operation is cancelled (BackupWriter's dispose). Engines supply only the source stream and their facts.
/// </summary>
public sealed class BackupTemplate(IOperationObserver observer)
{
    /// <summary>Runs a backup with its audit entry: the new backup's id and size (after <paramref name="what"/>, e.g. its kind), or the error that stopped it.</summary>
    public BackupRecord Audited(RepositoryReference repository, AuditSubject subject, Func<OperationRepository, BackupRecord> backup, Func<BackupRecord, string>? what = null) =>
        OperationAudit.Run(repository, subject, observer, backup, r => new AuditOutcome([r.Id], $"{what?.Invoke(r)}{r.RawBytes} bytes"));

    /// <summary>Opens the repository, takes its writer lock (holder: what the lock file says holds it), sweeps what interrupted backups left, then works.</summary>
    public T Locked<T>(OperationRepository opened, string holder, TimeSpan lockTimeout, CancellationToken cancel, Func<BackupRepository, T> work) =>
        Locked(opened.Get(), holder, lockTimeout, cancel, work);

    /// <summary>As <see cref="Locked{T}(OperationRepository, string, TimeSpan, CancellationToken, Func{BackupRepository, T})"/> on a repository already open.</summary>
    public T Locked<T>(BackupRepository repository, string holder, TimeSpan lockTimeout, CancellationToken cancel, Func<BackupRepository, T> work)
    {
        using var writerLock = WriterLock.AcquireShared(repository, holder, lockTimeout, cancel);
        RepositorySweeper.Sweep(repository, observer);
        return work(repository);
    }

    /// <summary>
    /// Writes one batch of an archive (WAL, binlog) under the writer lock and returns its manifest. No sweep: pushes
    /// come every few seconds and a sweep lists every backup of the repository; the next ordinary backup sweeps.
    /// </summary>
    public BackupManifest Batch(BackupRepository repository, string holder, TimeSpan lockTimeout, StreamBackup backup, Action<Stream> writeData,
        Func<JsonObject> facts, CancellationToken cancel)
    {
        using var writerLock = WriterLock.AcquireShared(repository, holder, lockTimeout, cancel);
        return WriteManifest(repository, backup, (data, _) => writeData(data), _ => facts(), cancel);
    }

    /// <summary>The compression asked for, else the repository's default.</summary>
    public static CompressionSettings CompressionFor(BackupRepository repository, CompressionSettings? requested) =>
        requested ?? CompressionSettings.Parse(repository.Config.Defaults.Compression, repository.Config.Defaults.CompressionLevel);

    /// <summary>
    /// Writes one backup (the caller holds the writer lock): <paramref name="writeData"/> streams the raw data; once the
    /// data object is complete, <paramref name="facts"/> gives the manifest's engine facts and the manifest is written.
    /// A cancellation that arrives while the data streams discards the backup even when the source finished anyway.
    /// </summary>
    public BackupRecord Write(BackupRepository repository, StreamBackup backup, Action<Stream> writeData, Func<JsonObject> facts, CancellationToken cancel) =>
        Write(repository, backup, (data, _) => writeData(data), _ => facts(), cancel);

    /// <summary>As the other Write, for engines that need the backup's id while writing or store further objects (before their facts).</summary>
    public BackupRecord Write(BackupRepository repository, StreamBackup backup, Action<Stream, BackupInProgress> writeData, Func<BackupInProgress, JsonObject> facts,
        CancellationToken cancel) =>
        repository.ToRecord(WriteManifest(repository, backup, writeData, facts, cancel));

    private BackupManifest WriteManifest(BackupRepository repository, StreamBackup backup, Action<Stream, BackupInProgress> writeData, Func<BackupInProgress, JsonObject> facts,
        CancellationToken cancel)
    {
        var plan = new BackupPlan(backup.Cell, backup.Source, backup.Engine, backup.Kind, backup.Parent, CompressionFor(repository, backup.Compression), backup.Tags);
        using var writer = repository.BeginBackup(plan, backup.Keys, cancel);
        var inProgress = new BackupInProgress(writer);
        using (var data = writer.OpenObject(BackupManifest.DataRole))
        {
            writeData(backup.Activity is { } activity ? new ProgressStream(data, bytes => observer.Progress(activity, backup.ProgressLabel, bytes, null)) : data, inProgress);
            cancel.ThrowIfCancellationRequested();
            data.Complete();
        }
        var engineFacts = facts(inProgress);
        cancel.ThrowIfCancellationRequested(); // the manifest is the commit point: nothing after a cancel may reach it
        return writer.Complete(engineFacts);
    }
}
