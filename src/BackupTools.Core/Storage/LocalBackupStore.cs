using BackupTools.Core.Errors;

namespace BackupTools.Core.Storage;

/// <summary>
/// A folder (local disk or a NAS mount). Objects are written under tmp/ and renamed into place after
/// fsync, so a crash never leaves a half object under its real key. Files are created 0600, folders 0700.
/// </summary>
public sealed class LocalBackupStore : IBackupStore
{
    internal const string TempFolder = "tmp";
    private readonly string _root;

    public LocalBackupStore(string root)
    {
        _root = Path.GetFullPath(root);
    }

    public string Root => _root;
    public string Location => new Uri(_root.EndsWith(Path.DirectorySeparatorChar) ? _root : _root + Path.DirectorySeparatorChar).AbsoluteUri.TrimEnd('/');

    public PendingObject OpenWrite(string key)
    {
        var final = PathOf(key);
        var temp = PathOf($"{TempFolder}/{Guid.NewGuid():N}.part");
        PrivateFileSystem.CreateDirectory(Path.GetDirectoryName(temp)!);
        return new LocalPendingObject(key, temp, final);
    }

    public Stream OpenRead(string key)
    {
        try
        {
            return new FileStream(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new StoreObjectNotFoundException(Location, key);
        }
    }

    public bool Exists(string key) => File.Exists(PathOf(key));

    public long? SizeOf(string key)
    {
        var info = new FileInfo(PathOf(key));
        return info.Exists ? info.Length : null;
    }

    public IEnumerable<string> List(string prefix)
    {
        var dir = PathOf(prefix.TrimEnd('/'));
        if (!Directory.Exists(dir)) yield break;
        foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
            yield return Path.GetRelativePath(_root, file).Replace(Path.DirectorySeparatorChar, '/');
    }

    public void Delete(string key)
    {
        var path = PathOf(key);
        try { File.Delete(path); }
        catch (DirectoryNotFoundException) { return; } // already gone with its folder
        // Leave no empty per-backup folders behind.
        var dir = Path.GetDirectoryName(path);
        if (dir != null && dir != _root && Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any())
            Directory.Delete(dir);
    }

    public bool TryCreateExclusive(string key, ReadOnlySpan<byte> content)
    {
        var path = PathOf(key);
        PrivateFileSystem.CreateDirectory(Path.GetDirectoryName(path)!);
        try
        {
            using var stream = PrivateFileSystem.CreateFile(path, FileMode.CreateNew);
            stream.Write(content);
            stream.Flush(flushToDisk: true);
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
    }

    public void Replace(string key, ReadOnlySpan<byte> content)
    {
        using var pending = OpenWrite(key);
        pending.Write(content);
        pending.Commit();
    }

    private string PathOf(string key)
    {
        if (key.Length == 0 || key.Contains("..") || Path.IsPathRooted(key))
            throw new BackupToolsException("StoreKeyInvalid", FailureKind.InvalidArgument, $"Invalid object key '{key}'.");
        return Path.Combine(_root, key.Replace('/', Path.DirectorySeparatorChar));
    }

    internal sealed class LocalPendingObject : PendingObject
    {
        private readonly FileStream _file;
        private readonly WriteBehind _writeBehind;
        private readonly string _temp;
        private readonly string _final;
        private bool _committed;

        public LocalPendingObject(string key, string temp, string final)
        {
            Key = key;
            _temp = temp;
            _final = final;
            _file = PrivateFileSystem.CreateFile(temp, FileMode.CreateNew, bufferSize: 1 << 16);
            _writeBehind = new WriteBehind(_file.SafeFileHandle);
        }

        internal int WriteBehindRanges => _writeBehind.RangesStarted;

        public override string Key { get; }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _file.Length;
        public override long Position { get => _file.Position; set => throw new NotSupportedException(); }
        public override void Flush() => _file.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _file.Write(buffer);
            _writeBehind.Advance(_file.Position);
        }

        public override void Commit()
        {
            if (_committed) return;
            _file.Flush(flushToDisk: true);
            _file.Dispose();
            PrivateFileSystem.CreateDirectory(Path.GetDirectoryName(_final)!);
            File.Move(_temp, _final, overwrite: true);
            PrivateFileSystem.SyncDirectory(Path.GetDirectoryName(_final)!);
            _committed = true;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_committed)
            {
                _file.Dispose();
                try { File.Delete(_temp); } catch (IOException) { /* swept later with tmp/ */ }
            }
            base.Dispose(disposing);
        }
    }
}
