using BackupTools.Core.Engines.Postgres;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Postgres;

/// <summary>
/// Finding pg_dump runs `pg_dump --version` on each candidate, on every backup: once per distinct binary, and never
/// through Debian's pg_wrapper (a perl start-up plus a second pg_dump), which can only run a version folder's own.
/// Stand-in tools record each run in a file.
/// </summary>
public sealed class PgToolsLocateTests : IDisposable
{
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Tool(string path, int major)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, $"#!/bin/sh\necho run >> '{path}.runs'\necho 'pg_dump (PostgreSQL) {major}.1'\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private static string Link(string folder, string target)
    {
        Directory.CreateDirectory(folder);
        File.CreateSymbolicLink(Path.Combine(folder, "pg_dump"), target);
        return folder;
    }

    private static int Runs(string tool) => File.Exists(tool + ".runs") ? File.ReadAllLines(tool + ".runs").Length : 0;

    [Fact]
    public void Each_distinct_pg_dump_is_asked_once_and_debian_s_wrapper_not_at_all()
    {
        var debianRoot = _temp.Sub("lib/postgresql");
        var v15 = Tool(Path.Combine(debianRoot, "15", "bin", "pg_dump"), 15);
        var v13 = Tool(Path.Combine(debianRoot, "13", "bin", "pg_dump"), 13);
        var wrapper = Tool(_temp.Sub("share/postgresql-common/pg_wrapper"), 99);
        var local = Tool(_temp.Sub("opt/pg/bin/pg_dump"), 14);
        var path = string.Join(':', Link(_temp.Sub("usr/bin"), wrapper), Link(_temp.Sub("bin"), wrapper),
            Path.GetDirectoryName(local)!, Link(_temp.Sub("usr/local/bin"), local));

        var tools = PgTools.Locate(null, 14, path, debianRoot);

        Assert.Equal(15, tools.Major);
        Assert.Equal(Path.GetDirectoryName(v15), tools.BinDir);
        Assert.Equal(0, Runs(wrapper));
        Assert.Equal(1, Runs(v15));
        Assert.Equal(1, Runs(v13));
        Assert.Equal(1, Runs(local)); // two folders, one binary
    }

    [Fact]
    public void Without_version_folders_a_newer_pg_dump_on_the_path_still_wins_even_behind_a_wrapper_name()
    {
        var wrapper = Tool(_temp.Sub("share/postgresql-common/pg_wrapper"), 16);
        var local = Tool(_temp.Sub("opt/pg/bin/pg_dump"), 14);
        var path = string.Join(':', Path.GetDirectoryName(local)!, Link(_temp.Sub("usr/bin"), wrapper));

        var tools = PgTools.Locate(null, 15, path, _temp.Sub("no-debian-folders"));

        Assert.Equal(16, tools.Major);
        Assert.Equal(1, Runs(wrapper));
    }
}
