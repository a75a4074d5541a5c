#pragma warning disable CA1416 // unix modes: the tests that build trees return early on Windows
using System.Diagnostics;
using BackupTools.Core.Engines.Directory.Tar;
using BackupTools.Core.Pipeline;

namespace BackupTools.Tests.Tar;

/// <summary>A temp folder under Path.GetTempPath() that is deleted (even read-only parts) when the test ends.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "bt-tar-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Sub(string name)
    {
        var p = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(p);
        return p;
    }

    public void Dispose()
    {
        try
        {
            if (!OperatingSystem.IsWindows())
                foreach (var d in new DirectoryInfo(Path).EnumerateDirectories("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }))
                    File.SetUnixFileMode(d.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

/// <summary>What the directory engine does around the tar layer: walk a tree, archive it, restore it, compare.</summary>
internal static class TarTestSupport
{
    public static readonly DateTimeOffset SubSecond = new DateTimeOffset(2024, 3, 1, 12, 34, 56, TimeSpan.Zero).AddTicks(1_234_567);

    /// <summary>Archives every entry below root (not root itself), in ordinal order, as the engine would.</summary>
    public static void ArchiveTree(TarWriter tar, string root)
    {
        foreach (var full in Walk(root))
        {
            var rel = Path.GetRelativePath(root, full).Replace('\\', '/');
            var info = new FileInfo(full);
            var mode = (int)File.GetUnixFileMode(full);
            var mtime = new DateTimeOffset(File.GetLastWriteTimeUtc(full));
            if (info.LinkTarget is { } target) tar.WriteSymlink(rel, target, 0b111_111_111, mtime);
            else if (Directory.Exists(full)) tar.WriteDirectory(rel, mode, mtime);
            else tar.WriteFile(rel, full, mode, mtime);
        }
    }

    public static byte[] ArchiveTreeToBytes(string root)
    {
        var output = new MemoryStream();
        using (var tar = new TarWriter(output))
        {
            ArchiveTree(tar, root);
            tar.Finish();
        }
        return output.ToArray();
    }

    public static List<TarEntryHeader> ExtractAll(Stream archive, string destination)
    {
        var reader = new TarReader(archive);
        var extractor = new SafeTreeExtractor(destination);
        var headers = new List<TarEntryHeader>();
        while (reader.Next() is { } entry)
        {
            headers.Add(entry.Header);
            extractor.Apply(entry);
        }
        extractor.Complete();
        return headers;
    }

    /// <summary>Asserts two trees hold the same entries, kinds, link targets, contents, modes and (optionally) mtimes.</summary>
    public static void AssertSameTree(string expectedRoot, string actualRoot, bool compareDirectoryMtimes = true)
    {
        var expected = Listing(expectedRoot);
        var actual = Listing(actualRoot);
        Assert.Equal(expected.Keys.ToList(), actual.Keys.ToList());
        foreach (var rel in expected.Keys)
        {
            var e = Path.Combine(expectedRoot, rel);
            var a = Path.Combine(actualRoot, rel);
            var eInfo = new FileInfo(e);
            var aInfo = new FileInfo(a);
            Assert.True((eInfo.LinkTarget != null) == (aInfo.LinkTarget != null), $"symlink-ness of {rel}");
            if (eInfo.LinkTarget != null)
            {
                Assert.Equal(eInfo.LinkTarget, aInfo.LinkTarget);
                continue;
            }
            Assert.True(Directory.Exists(e) == Directory.Exists(a), $"kind of {rel}");
            Assert.True(File.GetUnixFileMode(e) == File.GetUnixFileMode(a), $"mode of {rel}: {File.GetUnixFileMode(e)} vs {File.GetUnixFileMode(a)}");
            if (Directory.Exists(e))
            {
                if (compareDirectoryMtimes) Assert.True(Directory.GetLastWriteTimeUtc(e) == Directory.GetLastWriteTimeUtc(a), $"mtime of dir {rel}");
                continue;
            }
            Assert.True(File.GetLastWriteTimeUtc(e) == File.GetLastWriteTimeUtc(a), $"mtime of {rel}: {File.GetLastWriteTimeUtc(e):O} vs {File.GetLastWriteTimeUtc(a):O}");
            Assert.True(SameContent(e, a), $"content of {rel}");
        }
    }

    public static SortedDictionary<string, bool> Listing(string root)
    {
        var result = new SortedDictionary<string, bool>(StringComparer.Ordinal);
        foreach (var full in Walk(root))
            result[Path.GetRelativePath(root, full).Replace('\\', '/')] = true;
        return result;
    }

    /// <summary>Every entry below root, parents before children, never descending into symlinked folders.</summary>
    public static IEnumerable<string> Walk(string root)
    {
        foreach (var full in Directory.EnumerateFileSystemEntries(root).OrderBy(p => p, StringComparer.Ordinal))
        {
            yield return full;
            if (new FileInfo(full).LinkTarget is null && Directory.Exists(full))
                foreach (var below in Walk(full)) yield return below;
        }
    }

    public static bool SameContent(string a, string b)
    {
        using var fa = File.OpenRead(a);
        using var fb = File.OpenRead(b);
        if (fa.Length != fb.Length) return false;
        var ba = new byte[1 << 20];
        var bb = new byte[1 << 20];
        while (true)
        {
            var na = fa.ReadAtLeast(ba, ba.Length, throwOnEndOfStream: false);
            var nb = fb.ReadAtLeast(bb, bb.Length, throwOnEndOfStream: false);
            if (na != nb || !ba.AsSpan(0, na).SequenceEqual(bb.AsSpan(0, nb))) return false;
            if (na == 0) return true;
        }
    }

    /// <summary>Allocated 512-byte blocks of a file, from stat(1).</summary>
    public static long AllocatedBlocks(string path) => long.Parse(Run("stat", "-c", "%b", path).Trim());

    public static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {stderr}");
        return stdout.Result;
    }

    public static bool HasGnuTar()
    {
        if (OperatingSystem.IsWindows()) return false;
        try { return Run("tar", "--version").Contains("GNU tar"); }
        catch (Exception) { return false; }
    }

    public static void WriteRandom(string path, int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        File.WriteAllBytes(path, data);
    }

    /// <summary>
    /// A sample tree: nested folders, an empty folder, symlinks (relative and absolute), unicode and very long
    /// names, modes 0600/0755/0700 and setuid-free special modes, sub-second mtimes, an empty and a few-MB file.
    /// </summary>
    public static void BuildSampleTree(string root)
    {
        Directory.CreateDirectory(Path.Combine(root, "données"));
        File.WriteAllText(Path.Combine(root, "données", "日本語 ✓.txt"), "unicode content ✓");
        Directory.CreateDirectory(Path.Combine(root, "empty"));
        File.WriteAllBytes(Path.Combine(root, "zero.bin"), []);
        WriteRandom(Path.Combine(root, "random.bin"), 3 * 1024 * 1024 + 17, 42);
        File.WriteAllText(Path.Combine(root, "secret.txt"), "only me");
        File.SetUnixFileMode(Path.Combine(root, "secret.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(Path.Combine(root, "run.sh"), "#!/bin/sh\necho hi\n");
        File.SetUnixFileMode(Path.Combine(root, "run.sh"), (UnixFileMode)0b111_101_101);
        var longDir = Path.Combine(root, "long", new string('a', 120), new string('b', 120));
        Directory.CreateDirectory(longDir);
        var longFile = Path.Combine(longDir, new string('c', 50) + ".txt");
        File.WriteAllText(longFile, "deep");
        Assert.True(Path.GetRelativePath(root, longFile).Length >= 295);
        var sticky = Path.Combine(root, "shared");
        Directory.CreateDirectory(sticky);
        File.SetUnixFileMode(sticky, (UnixFileMode)0b1_111_111_111); // 01777
        File.CreateSymbolicLink(Path.Combine(root, "rel-link"), "données/日本語 ✓.txt");
        File.CreateSymbolicLink(Path.Combine(root, "abs-link"), "/etc/hostname");
        File.CreateSymbolicLink(Path.Combine(root, "long-link"), "long/" + new string('a', 120) + "/" + new string('b', 120));
        // mtimes last (deepest first), since creating entries changes folder mtimes.
        var all = Walk(root).OrderByDescending(p => p.Length).ToList();
        var i = 0;
        foreach (var p in all)
        {
            if (new FileInfo(p).LinkTarget != null) continue;
            var t = SubSecond.AddSeconds(-1000 * ++i).AddTicks(i * 7).UtcDateTime;
            if (Directory.Exists(p)) Directory.SetLastWriteTimeUtc(p, t); else File.SetLastWriteTimeUtc(p, t);
        }
    }
}

/// <summary>A read-only, non-seekable view, like a decrypting pipe: proves the reader never seeks.</summary>
internal sealed class ForwardOnlyStream(Stream inner) : ReadOnlyForwardStream
{
    public override int Read(Span<byte> buffer) => inner.Read(buffer[..Math.Min(buffer.Length, 7919)]);
}

/// <summary>A write-only, non-seekable sink, like an upload: proves the writer never seeks or reads back.</summary>
internal sealed class WriteOnlyStream(Stream inner) : Stream
{
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);
}
