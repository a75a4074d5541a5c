using BackupTools.Core.Engines.PostgresPitr;
using BackupTools.Core.Errors;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.PostgresPitr;

/// <summary>
/// The FIFO capture's failure paths, with a stand-in pg_basebackup (a shell script) so each is deterministic: a lost
/// race (the folder appears with a regular file already in it) and a pg_basebackup that fails before it opens any FIFO.
/// Neither may hang on a reader blocked in open(2), write to the output, or leave the private folder behind.
/// </summary>
public sealed class TablespaceCaptureTests : IDisposable
{
    private readonly TempDir _temp = new();
    private static readonly PgTablespace[] Spaces = [new(16384, "hot", "/srv/hot")];

    private string FakeBasebackup(string body)
    {
        var path = _temp.Sub("pg_basebackup");
        // The folder is the argument after -D.
        File.WriteAllText(path, "#!/bin/sh\nwhile [ $# -gt 0 ]; do [ \"$1\" = -D ] && D=\"$2\"; shift; done\n" + body + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private static HashSet<string> Scratch() => Directory.GetDirectories(Path.GetTempPath(), "bt-pgbase-*").ToHashSet();

    [Fact]
    public void A_lost_race_is_detected_and_discards_the_attempt_with_nothing_written()
    {
        // The folder appears (rename: atomically) with base.tar already a regular file: the FIFO cannot take its name.
        var tool = FakeBasebackup("T=\"$D.tmp\"; mkdir \"$T\"; echo not-a-stream > \"$T/base.tar\"; mv \"$T\" \"$D\"; sleep 5");
        var before = Scratch();
        using var output = new MemoryStream();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var error = Assert.Throws<BackupToolsException>(() => new PgTablespaceCapture(tool, [], new Dictionary<string, string>(), Spaces).Run(output, CancellationToken.None));
        Assert.Equal(PgTablespaceCapture.RaceLostErrorId, error.ErrorId);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), "pg_basebackup was stopped at once, not waited for");
        Assert.Equal(0, output.Length);
        Assert.Equal(before, Scratch());
    }

    [Fact]
    public void A_pg_basebackup_that_fails_before_opening_its_fifos_releases_the_readers_and_reports_its_error()
    {
        var tool = FakeBasebackup("mkdir \"$D\"; sleep 0.5; echo 'pg_basebackup: error: connection refused' >&2; exit 1");
        var before = Scratch();
        using var output = new MemoryStream();
        var run = Task.Run(() => new PgTablespaceCapture(tool, [], new Dictionary<string, string>(), Spaces).Run(output, CancellationToken.None));
        Assert.True(((IAsyncResult)run).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(30)), "a reader blocked in open(2) was never released");
        var error = Assert.IsType<BackupToolsException>(run.Exception?.InnerException);
        Assert.Equal("ExternalToolFailed", error.ErrorId);
        Assert.Contains("connection refused", error.Message);
        Assert.Equal(0, output.Length);
        Assert.Equal(before, Scratch());
    }

    [Fact]
    public void Archives_written_into_the_fifos_are_merged_with_tablespace_files_under_pg_tblspc_and_the_manifest_last()
    {
        // A stand-in writing what pg_basebackup writes, in its order: the tablespace's archive, base.tar (with its link), the manifest.
        var source = _temp.Sub("src");
        Directory.CreateDirectory(Path.Combine(source, "ts", "PG_15_1"));
        File.WriteAllText(Path.Combine(source, "ts", "PG_15_1", "16385"), "table data");
        Directory.CreateDirectory(Path.Combine(source, "base", "pg_tblspc"));
        File.WriteAllText(Path.Combine(source, "base", "PG_VERSION"), "15\n");
        File.CreateSymbolicLink(Path.Combine(source, "base", "pg_tblspc", "16384"), "/srv/hot");
        var tool = FakeBasebackup($$"""
            mkdir "$D"; sleep 0.3
            tar --format=ustar -C '{{source}}/ts' -cf "$D/16384.tar" PG_15_1
            tar --format=ustar -C '{{source}}/base' -cf "$D/base.tar" PG_VERSION pg_tblspc
            echo '{"Files":[]}' > "$D/backup_manifest.tmp"; mv "$D/backup_manifest.tmp" "$D/backup_manifest"
            echo 'write-ahead log start point: 0/2000028 on timeline 1' >&2
            """);
        using var output = new MemoryStream();
        var (result, spaces) = new PgTablespaceCapture(tool, [], new Dictionary<string, string>(), Spaces).Run(output, CancellationToken.None);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(10, spaces.Single().Bytes);
        output.Position = 0;
        var names = new List<string>();
        using (var tar = new System.Formats.Tar.TarReader(output))
            while (tar.GetNextEntry() is { } entry) names.Add(entry.Name.TrimEnd('/'));
        Assert.Equal(["pg_tblspc/16384/PG_15_1", "pg_tblspc/16384/PG_15_1/16385", "PG_VERSION", "pg_tblspc", "backup_manifest"], names); // base.tar's link left out
    }

    public void Dispose() => _temp.Dispose();
}
