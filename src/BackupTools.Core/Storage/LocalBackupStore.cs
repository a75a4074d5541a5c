using BackupTools.Core.Errors;

namespace BackupTools.Core.Storage;

/// <summary>
/// A folder (local disk or a NAS mount). Objects are written under tmp/ and renamed into place after
/// fsync, so a crash never leaves a half object under its real key. Files are created 0600, folders 0700.
/// </summary>
public sealed class LocalBackupStore : IBackupStore, IPreparableStore
{
    internal const string TempFolder = "tmp";
    private readonly string _root;

    public LocalBackupStore(string root)
    {
        _root = Path.GetFullPath(root);
    }

    public string Root => _root;

    /// <summary>A new repository goes into a new or empty folder, so no other files get mixed with backups.</summary>
    public void PrepareForNewRepository()
    {
        if (Directory.Exists(_root) && Directory.EnumerateFileSystemEntries(_root).Any())
            throw new BackupInputException("RepositoryFolderNotEmpty", "Path",
                $"{_root} is not empty and is not a repository.", "Choose an empty or new folder so no other files get mixed with backups.");
        PrivateFileSystem.CreateDirectory(_root);
    }

    /// <summary>Nothing held open between calls.</summary>
    public void Dispose() { }
    public string Location => new Uri(_root.EndsWith(Path.DirectorySeparatorChar) ? _root : _root + Path.DirectorySeparatorChar).AbsoluteUri.TrimEnd('/');

    public PendingObject OpenWrite(string key, CancellationToken cancel = default)
    {
        cancel.ThrowIfCancellationRequested();
        var final = PathOf(key);
        return new LocalPendingObject(key, NewTempPath(), final);
    }

    public Stream OpenRead(string key, CancellationToken cancel = default)
    {
        cancel.ThrowIfCancellationRequested();
        try
        {
            return new FileStream(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new StoreObjectNotFoundException(Location, key);
        }
    }

    public bool Exists(string key, CancellationToken cancel = default)
    {
        cancel.ThrowIfCancellationRequested();
        return File.Exists(PathOf(key));
    }

    public long? SizeOf(string key, CancellationToken cancel = default)
    {
        cancel.ThrowIfCancellationRequested();
        var info = new FileInfo(PathOf(key));
        return info.Exists ? info.Length : null;
    }

    public IEnumerable<string> List(string prefix, CancellationToken cancel = default)
    {
        var dir = PathOf(prefix.TrimEnd('/'));
        if (!Directory.Exists(dir)) yield break;
        foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
        {
            cancel.ThrowIfCancellationRequested();
            yield return Path.GetRelativePath(_root, file).Replace(Path.DirectorySeparatorChar, '/');
        }
    }

    public void Delete(string key, CancellationToken cancel = default)
    {
        cancel.ThrowIfCancellationRequested();
        var path = PathOf(key);
        try { File.Delete(path); }
        catch (DirectoryNotFoundException) { return; } // already gone with its folder
        // Leave no empty per-backup folders behind, but never remove a top-level folder (tmp/, locks/,
        // verifications/…): another process may be about to create a file in it.
        var dir = Path.GetDirectoryName(path);
        if (dir == null || Path.GetDirectoryName(dir) is not { } parent || IsRoot(parent) || IsRoot(dir)) return;
        try
        {
            if (Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir);
        }
        catch (IOException) { /* filled again meanwhile */ }
    }

    public DateTimeOffset? ModifiedAt(string key, CancellationToken cancel = default)
    {
        cancel.ThrowIfCancellationRequested();
        var info = new FileInfo(PathOf(key));
        return info.Exists ? info.LastWriteTimeUtc : null;
    }

    /// <summary>
    /// Writes the content to a temp file, fsyncs it and links it under the key: the object appears complete
    /// or not at all (a reader never sees it empty), and a full disk is an error, not "exists".
    /// </summary>
    public bool TryCreateExclusive(string key, ReadOnlySpan<byte> content, CancellationToken cancel = default)
    {
        cancel.ThrowIfCancellationRequested();
        var path = PathOf(key);
        PrivateFileSystem.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = NewTempPath();
        try
        {
            using (var stream = PrivateFileSystem.CreateFile(temp, FileMode.CreateNew))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }
            switch (PosixLink.TryLink(temp, path))
            {
                case PosixLink.Outcome.Linked:
                    PrivateFileSystem.SyncDirectory(Path.GetDirectoryName(path)!);
                    return true;
                case PosixLink.Outcome.Exists:
                    return false;
                default:
                    return CreateNewInPlace(path, content);
            }
        }
        finally
        {
            TryDeleteFile(temp);
        }
    }

    /// <summary>Without hard links: O_EXCL create, then write (a reader may briefly see it empty).</summary>
    private static bool CreateNewInPlace(string path, ReadOnlySpan<byte> content)
    {
        FileStream stream;
        try { stream = PrivateFileSystem.CreateFile(path, FileMode.CreateNew); }
        catch (IOException e) when (e.HResult == EEXIST || !IsNoSpace(e) && File.Exists(path)) { return false; }
        try
        {
            using (stream)
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }
            return true;
        }
        catch
        {
            TryDeleteFile(path);
            throw;
        }
    }

    /// <summary>
    /// Deletes the object only if its content still passes <paramref name="stillTheSame"/>: it is renamed aside
    /// first (atomic), checked there, and linked back if it turned out to be another one (a new lock holder's).
    /// </summary>
    public bool DeleteIfUnchanged(string key, Func<byte[], bool> stillTheSame, CancellationToken cancel = default)
    {
        cancel.ThrowIfCancellationRequested();
        var path = PathOf(key);
        // Checked in place first, so a lease that was replaced meanwhile is (almost always) not even moved.
        try { if (!stillTheSame(File.ReadAllBytes(path))) return false; }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return false; }
        var aside = NewTempPath();
        try { File.Move(path, aside); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return false; }
        try
        {
            if (stillTheSame(File.ReadAllBytes(aside))) return true;
            if (PosixLink.TryLink(aside, path) == PosixLink.Outcome.Unsupported && !File.Exists(path))
                File.Move(aside, path);
            return false;
        }
        finally
        {
            TryDeleteFile(aside);
        }
    }

    public void Replace(string key, ReadOnlySpan<byte> content, CancellationToken cancel = default)
    {
        using var pending = OpenWrite(key, cancel);
        pending.Write(content);
        pending.Commit();
    }

    private const int EEXIST = 17, ENOSPC = 28;

    private static bool IsNoSpace(IOException e) => e.HResult == ENOSPC;

    private bool IsRoot(string dir) => Path.TrimEndingDirectorySeparator(dir) == Path.TrimEndingDirectorySeparator(_root);

    private string NewTempPath()
    {
        var temp = PathOf($"{TempFolder}/{TempPartName.New()}");
        PrivateFileSystem.CreateDirectory(Path.GetDirectoryName(temp)!);
        return temp;
    }

    private static void TryDeleteFile(string path)
    {
        try { File.Delete(path); } catch (IOException) { /* swept later with tmp/ */ } catch (UnauthorizedAccessException) { }
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
            for (var attempt = 1; ; attempt++)
            {
                PrivateFileSystem.CreateDirectory(Path.GetDirectoryName(_final)!);
                // A concurrent Delete may remove the folder it just emptied (catalog/entries/ when a writer folds) between the two.
                try { File.Move(_temp, _final, overwrite: true); break; }
                catch (DirectoryNotFoundException) when (attempt < 5 && File.Exists(_temp)) { }
            }
            PrivateFileSystem.SyncDirectory(Path.GetDirectoryName(_final)!);
            _committed = true;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_committed)
            {
                // Closing flushes the buffer, which throws on a full disk: the part must go all the same.
                try { _file.Dispose(); }
                catch (IOException) { /* the write that failed has already reported it */ }
                finally { TryDeleteFile(_temp); }
            }
            base.Dispose(disposing);
        }
    }
}
