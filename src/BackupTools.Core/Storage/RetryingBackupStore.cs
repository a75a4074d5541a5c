namespace BackupTools.Core.Storage;

/// <summary>
/// Retries the idempotent store calls on transient errors. Streaming writes are not retried here: a
/// backend retries its own pieces (S3 retries a failed part, not the whole object). A cancelled call stops
/// waiting for its next try.
/// </summary>
public sealed class RetryingBackupStore(IBackupStore inner, RetryPolicy policy) : IBackupStore, IRangeReadableStore
{
    public IBackupStore Inner => inner;
    public string Location => inner.Location;

    public PendingObject OpenWrite(string key, CancellationToken cancel = default) => policy.Run(() => inner.OpenWrite(key, cancel), cancel);
    public Stream OpenRead(string key, CancellationToken cancel = default) => policy.Run(() => inner.OpenRead(key, cancel), cancel);
    public bool Exists(string key, CancellationToken cancel = default) => policy.Run(() => inner.Exists(key, cancel), cancel);
    public byte[] ReadRange(string key, long offset, int length, CancellationToken cancel = default) => policy.Run(() => inner.ReadRange(key, offset, length, cancel), cancel);
    public long? SizeOf(string key, CancellationToken cancel = default) => policy.Run(() => inner.SizeOf(key, cancel), cancel);
    public IEnumerable<string> List(string prefix, CancellationToken cancel = default) => policy.Run(() => inner.List(prefix, cancel).ToList(), cancel);
    public void Delete(string key, CancellationToken cancel = default) => policy.Run(() => inner.Delete(key, cancel), cancel);

    public bool TryCreateExclusive(string key, ReadOnlySpan<byte> content, CancellationToken cancel = default)
    {
        var copy = content.ToArray();
        return policy.Run(() => inner.TryCreateExclusive(key, copy, cancel), cancel);
    }

    public DateTimeOffset? ModifiedAt(string key, CancellationToken cancel = default) => policy.Run(() => inner.ModifiedAt(key, cancel), cancel);

    public bool DeleteIfUnchanged(string key, Func<byte[], bool> stillTheSame, CancellationToken cancel = default) =>
        policy.Run(() => inner.DeleteIfUnchanged(key, stillTheSame, cancel), cancel);

    public void Replace(string key, ReadOnlySpan<byte> content, CancellationToken cancel = default)
    {
        var copy = content.ToArray();
        policy.Run(() => inner.Replace(key, copy, cancel), cancel);
    }

    public T? Ability<T>() where T : class => this as T ?? inner.Ability<T>();

    public void Dispose() => inner.Dispose();
}
