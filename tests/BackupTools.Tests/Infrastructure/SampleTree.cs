namespace BackupTools.Tests.Infrastructure;

/// <summary>A small tree with the awkward cases a cell backup must carry: modes, symlinks, empty dirs, unicode, sparse.</summary>
public static class SampleTree
{
    public static void Create(string root, int seed = 1)
    {
        var random = new Random(seed);
        Directory.CreateDirectory(root);
        File.WriteAllText(Path.Combine(root, "README.txt"), "hello cell\n");
        Directory.CreateDirectory(Path.Combine(root, "conf"));
        File.WriteAllText(Path.Combine(root, "conf", "app.yaml"), "port: 8080\n");
        Directory.CreateDirectory(Path.Combine(root, "empty", "nested-empty"));
        Directory.CreateDirectory(Path.Combine(root, "données"));
        File.WriteAllText(Path.Combine(root, "données", "日本語 ✓.txt"), "unicode name\n");
        var blob = new byte[3 * 1024 * 1024 + 17];
        random.NextBytes(blob);
        File.WriteAllBytes(Path.Combine(root, "data.bin"), blob);
        File.WriteAllBytes(Path.Combine(root, "zero-length"), []);
        var deep = Path.Combine(root, string.Join('/', Enumerable.Repeat("long-directory-name", 8)));
        Directory.CreateDirectory(deep);
        File.WriteAllText(Path.Combine(deep, "deep-file-with-a-long-name.log"), string.Join('\n', Enumerable.Range(0, 500).Select(i => $"line {i}")));
        File.CreateSymbolicLink(Path.Combine(root, "link-relative"), "conf/app.yaml");
        File.CreateSymbolicLink(Path.Combine(root, "link-absolute"), "/etc/hostname");
        if (!OperatingSystem.IsWindows())
        {
            File.WriteAllText(Path.Combine(root, "secret.key"), "not really\n");
            File.SetUnixFileMode(Path.Combine(root, "secret.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.WriteAllText(Path.Combine(root, "run.sh"), "#!/bin/sh\necho hi\n");
            File.SetUnixFileMode(Path.Combine(root, "run.sh"), (UnixFileMode)Convert.ToInt32("755", 8));
        }
        using (var sparse = new FileStream(Path.Combine(root, "sparse.img"), FileMode.Create))
        {
            sparse.SetLength(64L * 1024 * 1024);
            sparse.Position = 10 * 1024 * 1024;
            sparse.Write(blob, 0, 4096);
            sparse.Position = 40L * 1024 * 1024;
            sparse.Write(blob, 4096, 8192);
        }
        File.SetLastWriteTimeUtc(Path.Combine(root, "README.txt"), new DateTime(2024, 2, 29, 12, 34, 56, 789, DateTimeKind.Utc));
    }
}
