using System.Diagnostics;
using BackupTools.Core.Audit;
using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines;

/// <summary>What Restore-Postgres and Restore-MySql both ask for. Id wins; else the newest backup of Database completed at or before At.</summary>
public interface IDatabaseRestoreRequest
{
    RepositoryReference Repository { get; }
    string? Id { get; }
    string? Database { get; }
    DateTimeOffset? At { get; }
    string? TargetDatabase { get; }
    bool SkipSafetyBackup { get; }
    BackupKeyRing? Keys { get; }
    TimeSpan LockTimeout { get; }
    Func<string, string, bool> ShouldProcess { get; }

    /// <summary>host:port of the server restored into.</summary>
    string Server { get; }

    /// <summary>The database on that server as a URI-like text, never with a password.</summary>
    string Describe(string database);
}

/// <summary>A restore's hold on the server, opened once the target database's name is known.</summary>
public interface IDatabaseRestoreTarget : IDisposable
{
    /// <summary>Whether a database of that name exists now (then it is replaced, after a safety backup).</summary>
    bool Exists { get; }

    /// <summary>Backs the live database up into the repository, in <paramref name="cell"/> with these tags (the caller holds the writer lock); returns the backup's id.</summary>
    string TakeSafetyBackup(BackupRepository repository, string cell, IReadOnlyDictionary<string, string> tags, CancellationToken cancel);

    /// <summary>Loads the backup into the new database <paramref name="staging"/> and compares it with the manifest.</summary>
    RestoredCopy RestoreInto(BackupRepository repository, BackupManifest manifest, string staging, CancellationToken cancel);

    /// <summary>Puts the proven staging copy in the target's place; the original comes back if that fails.</summary>
    void SwapIn(string staging);

    /// <summary>Drops staging databases that restores killed on this host left behind (best effort).</summary>
    void DropLeftovers();

    /// <summary>Best effort: the staging database is gone afterwards.</summary>
    void DropStaging(string staging);

    /// <summary>The error to report for one thrown during the restore (e.g. a driver exception mapped to a clear one).</summary>
    Exception Explain(Exception error);
}

/// <summary>What a load into a fresh database gave: its tables and rows, how long it took, and where it differs from the manifest.</summary>
public sealed record RestoredCopy(int Tables, long Rows, TimeSpan Duration, IReadOnlyList<string> Differences);

/// <summary>
/// Restores a database without ever leaving the user with nothing: safety backup of the live database, the
/// dump loaded into a staging database and checked against the manifest, then swapped in by the engine. On
/// any failure before the swap completes the original is untouched and the staging database dropped.
/// </summary>
public abstract class DatabaseRestoreFlow<TRequest>(IOperationObserver observer, string engine, string engineLabel, string manifestIncompleteErrorId)
    where TRequest : IDatabaseRestoreRequest
{
    protected IOperationObserver Observer => observer;

    /// <summary>The cmdlet, as the writer lock's holder names it (Restore-Postgres).</summary>
    protected abstract string Cmdlet { get; }

    /// <summary>Checks the name, connects, finds the tools and whether the database exists; refuses what it must.</summary>
    protected abstract IDatabaseRestoreTarget Open(TRequest request, string database);

    /// <summary>What the engine adds on top of the backup (e.g. MySQL's binlog replay range), for -WhatIf/-Confirm.</summary>
    protected virtual string DescribeExtra(TRequest request, BackupRepository repository, BackupManifest manifest) => "";

    public DatabaseRestoreResult? Run(TRequest request, CancellationToken cancel) =>
        OperationAudit.Run(request.Repository, new AuditSubject("restore", null, engine, request.Describe(request.TargetDatabase ?? request.Database ?? "")), observer,
            opened => RunUnaudited(opened, request, cancel),
            r => SafetyBackupStep.Audit(r, r => $"restored into {r.Server}/{r.Database} ({r.Tables} tables, {r.Rows} rows)"));

    private DatabaseRestoreResult? RunUnaudited(OperationRepository opened, TRequest request, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var repository = opened.Get();
        var manifest = DatabaseRestorePoint.Select(repository, engine, engineLabel, request.Id, request.Database, request.At, cancel);
        var database = request.TargetDatabase ?? manifest.EngineInfo?["database"]?.GetValue<string>()
            ?? throw new BackupIntegrityException(manifestIncompleteErrorId, $"Backup {manifest.Id} does not name its database.");
        using var target = Open(request, database);
        if (!request.ShouldProcess(request.Describe(database), $"Restore backup {manifest.Id} ({manifest.CompletedAt:u})" + DescribeExtra(request, repository, manifest) + (target.Exists ? ", replacing the existing database" : "")))
            return null;
        target.DropLeftovers();

        var safetyId = SafetyBackupStep.Take(observer, repository, manifest.Id,
            new SafetyBackupTarget($"{Cmdlet} {database}", $"database '{database}'", target.Exists, request.SkipSafetyBackup, request.LockTimeout),
            tags => target.TakeSafetyBackup(repository, manifest.Cell, tags, cancel), cancel);

        var staging = ThrowawayDatabase.Name("restore", database);
        observer.Verbose($"Restoring {manifest.Id} into staging database {staging}.");
        RestoredCopy copy;
        try
        {
            copy = target.RestoreInto(repository, manifest, staging, cancel);
            if (copy.Differences.Count > 0)
                throw new BackupIntegrityException("RestoreVerificationFailed",
                    $"The restored copy differs from the backup's manifest ({string.Join("; ", copy.Differences.Take(5))}); '{database}' was not touched.");
            cancel.ThrowIfCancellationRequested();
            observer.Verbose($"Swapping {staging} into {database}.");
            target.SwapIn(staging);
        }
        catch (Exception e)
        {
            target.DropStaging(staging);
            var explained = target.Explain(e);
            if (ReferenceEquals(explained, e)) throw;
            throw explained;
        }
        return new DatabaseRestoreResult
        {
            Engine = engine,
            Cell = manifest.Cell,
            Destination = request.Describe(database),
            Verification = $"{copy.Tables} tables and {copy.Rows} rows of the restored copy compared with the backup's manifest before the swap",
            Database = database,
            Server = request.Server,
            RestoredId = manifest.Id,
            RestoredPointInTime = manifest.CompletedAt,
            SafetyBackupId = safetyId,
            SafetyBackupSkipped = target.Exists && request.SkipSafetyBackup,
            ReplacedExistingDatabase = target.Exists,
            Tables = copy.Tables,
            Rows = copy.Rows,
            Duration = clock.Elapsed,
        };
    }
}
