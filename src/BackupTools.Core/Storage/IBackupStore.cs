namespace BackupTools.Core.Storage;

/// <summary>
/// A flat key → object store under a repository root (a folder today, a bucket prefix later).
/// Keys use '/' separators. Writes are atomic: an object is visible under its key only after Commit.
/// Disposing it releases its connections (an S3 client); whoever opened a store disposes it. Every call takes the
/// operation's cancellation token (Ctrl+C): a remote call in flight is abandoned, a retry stops waiting.
/// </summary>
public interface IBackupStore : IDisposable
{
    /// <summary>Human-readable location, e.g. "file:///backups/main". Never contains credentials.</summary>
    string Location { get; }

    /// <summary>Opens a new object for streaming writes; nothing is visible until <see cref="PendingObject.CommitAsync"/>.</summary>
    PendingObject OpenWrite(string key, CancellationToken cancel = default);

    /// <summary>Reads an object; throws <see cref="StoreObjectNotFoundException"/> when absent.</summary>
    Stream OpenRead(string key, CancellationToken cancel = default);

    bool Exists(string key, CancellationToken cancel = default);

    /// <summary>Size in bytes, or null when absent.</summary>
    long? SizeOf(string key, CancellationToken cancel = default);

    /// <summary>Keys directly or indirectly under a prefix (e.g. "backups/").</summary>
    IEnumerable<string> List(string prefix, CancellationToken cancel = default);

    void Delete(string key, CancellationToken cancel = default);

    /// <summary>Creates an object only if the key is free (used for locks). False when it already exists.</summary>
    bool TryCreateExclusive(string key, ReadOnlySpan<byte> content, CancellationToken cancel = default);

    /// <summary>
    /// Deletes an object only if its content still passes <paramref name="stillTheSame"/> (used to break a stale
    /// lock without deleting one a new holder has just created). True when deleted. Stores that can do it
    /// atomically (a local folder: rename aside, check, put back) override this read-check-delete.
    /// </summary>
    bool DeleteIfUnchanged(string key, Func<byte[], bool> stillTheSame, CancellationToken cancel = default)
    {
        byte[] content;
        try
        {
            using var stream = OpenRead(key, cancel);
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            content = buffer.ToArray();
        }
        catch (StoreObjectNotFoundException) { return false; }
        if (!stillTheSame(content)) return false;
        Delete(key, cancel);
        return true;
    }

    /// <summary>When the object was last written, where the store can tell cheaply (a folder); null otherwise or when absent.</summary>
    DateTimeOffset? ModifiedAt(string key, CancellationToken cancel = default) => null;

    /// <summary>Replaces an object atomically (used for lock heartbeats and repository metadata).</summary>
    void Replace(string key, ReadOnlySpan<byte> content, CancellationToken cancel = default);

    /// <summary>
    /// An optional ability of the backend (e.g. <see cref="IPreparableStore"/>), or null when it has none.
    /// Wrappers pass the question to the store they wrap, so callers never test for concrete store types.
    /// </summary>
    T? Ability<T>() where T : class => this as T;
}

/// <summary>A store that can ready an empty location for a new repository (create the folder or bucket, refuse foreign content).</summary>
public interface IPreparableStore
{
    void PrepareForNewRepository();
}

/// <summary>A write in progress. Dispose without Commit discards it.</summary>
public abstract class PendingObject : Stream
{
    public abstract string Key { get; }
    public abstract void Commit();
}
