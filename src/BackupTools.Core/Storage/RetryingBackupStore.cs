namespace BackupTools.Core.Storage;

/// <summary>
/// Retries the idempotent store calls on transient errors. Streaming writes are not retried here: a
/// backend retries its own pieces (S3 retries a failed part, not the whole object).
/// </summary>
public sealed class RetryingBackupStore(IBackupStore inner, RetryPolicy policy) : IBackupStore
{
    public IBackupStore Inner => inner;
    public string Location => inner.Location;

    public PendingObject OpenWrite(string key) => policy.Run(() => inner.OpenWrite(key));
    public Stream OpenRead(string key) => policy.Run(() => inner.OpenRead(key));
    public bool Exists(string key) => policy.Run(() => inner.Exists(key));
    public long? SizeOf(string key) => policy.Run(() => inner.SizeOf(key));
    public IEnumerable<string> List(string prefix) => policy.Run(() => inner.List(prefix).ToList());
    public void Delete(string key) => policy.Run(() => inner.Delete(key));

    public bool TryCreateExclusive(string key, ReadOnlySpan<byte> content)
    {
        var copy = content.ToArray();
        return policy.Run(() => inner.TryCreateExclusive(key, copy));
    }

    public DateTimeOffset? ModifiedAt(string key) => policy.Run(() => inner.ModifiedAt(key));

    public bool DeleteIfUnchanged(string key, Func<byte[], bool> stillTheSame) => policy.Run(() => inner.DeleteIfUnchanged(key, stillTheSame));

    public void Replace(string key, ReadOnlySpan<byte> content)
    {
        var copy = content.ToArray();
        policy.Run(() => inner.Replace(key, copy));
    }

    public T? Ability<T>() where T : class => this as T ?? inner.Ability<T>();

    public void Dispose() => inner.Dispose();
}
