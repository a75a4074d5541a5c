using System.Security.Cryptography;

namespace BackupTools.Tests.Infrastructure;

/// <summary>Everything about a tree a restore must reproduce: kinds, content hashes, modes, mtimes, link targets.</summary>
public static class TreeSnapshot
{
    public static SortedDictionary<string, string> Take(string root, bool withMtimes = true)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var info in new DirectoryInfo(root).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            var rel = Path.GetRelativePath(root, info.FullName);
            var mode = OperatingSystem.IsWindows() ? "" : Convert.ToString((int)info.UnixFileMode, 8);
            var mtime = withMtimes && info.LinkTarget is null ? info.LastWriteTimeUtc.Ticks.ToString() : "";
            result[rel] = info switch
            {
                _ when info.LinkTarget != null => $"link -> {info.LinkTarget}",
                DirectoryInfo => $"dir {mode}",
                FileInfo f => $"file {mode} {f.Length} {mtime} {Hash(f.FullName)}",
                _ => "?",
            };
        }
        return result;
    }

    public static void AssertSame(string expectedRoot, string actualRoot, bool withMtimes = true)
    {
        var expected = Take(expectedRoot, withMtimes);
        var actual = Take(actualRoot, withMtimes);
        var missing = expected.Keys.Except(actual.Keys).ToList();
        var extra = actual.Keys.Except(expected.Keys).ToList();
        var different = expected.Keys.Intersect(actual.Keys).Where(k => expected[k] != actual[k]).Select(k => $"{k}: {expected[k]} vs {actual[k]}").ToList();
        Assert.True(missing.Count + extra.Count + different.Count == 0,
            $"Trees differ. Missing: {string.Join(", ", missing.Take(10))}; extra: {string.Join(", ", extra.Take(10))}; different: {string.Join("; ", different.Take(10))}");
    }

    private static string Hash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream))[..16];
    }
}
