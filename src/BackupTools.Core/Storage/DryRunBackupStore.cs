namespace BackupTools.Core.Storage;

/// <summary>
/// Reads from the real store and throws every write away, counting what would have been stored — for
/// -WhatIf style runs that exercise the whole pipeline without changing the repository.
/// </summary>
public sealed class DryRunBackupStore(IBackupStore inner) : IBackupStore
{
    private long _bytesDiscarded;
    private int _objectsDiscarded;

    public string Location => inner.Location;
    public long BytesDiscarded => Interlocked.Read(ref _bytesDiscarded);
    public int ObjectsDiscarded => _objectsDiscarded;

    public PendingObject OpenWrite(string key, CancellationToken cancel = default) => new DiscardingObject(key, this);
    public Stream OpenRead(string key, CancellationToken cancel = default) => inner.OpenRead(key, cancel);
    public bool Exists(string key, CancellationToken cancel = default) => inner.Exists(key, cancel);
    public long? SizeOf(string key, CancellationToken cancel = default) => inner.SizeOf(key, cancel);
    public IEnumerable<string> List(string prefix, CancellationToken cancel = default) => inner.List(prefix, cancel);
    public void Delete(string key, CancellationToken cancel = default) { }

    /// <summary>Answers as the real store would (free key → true) without creating anything.</summary>
    public bool TryCreateExclusive(string key, ReadOnlySpan<byte> content, CancellationToken cancel = default) => !inner.Exists(key, cancel);

    public void Replace(string key, ReadOnlySpan<byte> content, CancellationToken cancel = default) => Discarded(content.Length);

    /// <summary>None of the inner store's abilities: any of them could change the repository.</summary>
    public T? Ability<T>() where T : class => this as T;

    public void Dispose() => inner.Dispose();

    private void Discarded(long bytes)
    {
        Interlocked.Add(ref _bytesDiscarded, bytes);
        Interlocked.Increment(ref _objectsDiscarded);
    }

    private sealed class DiscardingObject(string key, DryRunBackupStore owner) : PendingObject
    {
        private long _length;

        public override string Key => key;
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => _length += count;
        public override void Write(ReadOnlySpan<byte> buffer) => _length += buffer.Length;
        public override void Commit() => owner.Discarded(_length);
    }
}
