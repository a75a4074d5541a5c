using BackupTools.Core.Engines.Directory.Tar;
using BackupTools.Core.Errors;

namespace BackupTools.Tests.Tar;

public class TarPathGuardTests
{
    [Theory]
    [InlineData("../x")]
    [InlineData("/etc/passwd")]
    [InlineData("a/../../b")]
    [InlineData("a/..")]
    [InlineData("..")]
    [InlineData("")]
    [InlineData("./")]
    [InlineData("C:/Windows/x")]
    [InlineData("c:x")]
    [InlineData("\\\\server\\share\\x")]
    [InlineData("a\0b")]
    [InlineData("a//b")]
    public void Escaping_or_malformed_paths_are_refused(string path)
    {
        var e = Assert.Throws<BackupToolsException>(() => TarPathGuard.Normalize(path));
        Assert.Equal("RestoreEntryEscapesDestination", e.ErrorId);
        Assert.Equal(FailureKind.InvalidData, e.Kind);
    }

    [Theory]
    [InlineData("./data/a.txt", "data/a.txt")]
    [InlineData("data/dir/", "data/dir")]
    [InlineData("données/日本語 ✓.txt", "données/日本語 ✓.txt")]
    [InlineData("a..b/..c", "a..b/..c")]
    public void Safe_paths_are_normalised(string path, string expected) => Assert.Equal(expected, TarPathGuard.Normalize(path));
}
