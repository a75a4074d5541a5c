using System.Diagnostics;
using System.Text;
using BackupTools.Tests.Cells;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Faults;

/// <summary>
/// Trees a cell backup must carry without failing as a whole: a dangling symlink, names that are not UTF-8
/// (Linux names are bytes; GNU tar round-trips them) and paths longer than PATH_MAX. Fixtures are made with
/// bash, not with the code under test, and compared as bytes.
/// </summary>
public sealed class CellTreeEdgeFaultTests : CellTestBase
{
    private void InitPlainRepo()
    {
        Run("Initialize-BackupRepository -Format v1 -Path $repo | Out-Null").AssertNoErrors();
        Directory.CreateDirectory(Cell);
        File.WriteAllText(Path.Combine(Cell, "ok.txt"), "the rest of the tree");
    }

    private PsResult RunBackup(string type) => Run($"Backup-Cell -Name crm -Path $cell -Repository $repo -Type {type}");

    private string Restore()
    {
        var dest = Temp.Sub("r");
        Run("Restore-Cell -Name crm -Repository $repo -Destination $dest -Confirm:$false", ("dest", dest)).AssertNoErrors();
        return dest;
    }

    [Fact]
    public void A_dangling_symlink_is_backed_up_and_restored_as_it_was()
    {
        InitPlainRepo();
        File.CreateSymbolicLink(Path.Combine(Cell, "dangling"), "no/such/target");
        RunBackup("Full").AssertNoErrors();
        File.WriteAllText(Path.Combine(Cell, "later.txt"), "changed");
        RunBackup("Incremental").AssertNoErrors();
        var dest = Restore();
        Assert.Equal("no/such/target", new FileInfo(Path.Combine(dest, "dangling")).LinkTarget);
        TreeSnapshot.AssertSame(Cell, dest);
    }

    [Fact]
    public void Names_that_are_not_UTF8_round_trip_byte_for_byte()
    {
        InitPlainRepo();
        // A file, a folder holding a file, and a symlink whose name and target hold invalid UTF-8 bytes.
        Sh("""cd "$1" && printf 'payload' > $'\xff\xfe-name.txt' && mkdir $'dir-\xe9t\xe9' && printf 'inner' > $'dir-\xe9t\xe9/f\x80.bin' && ln -s $'\xff\xfe-name.txt' $'link-\xc3' && printf 'ok' > $'caf\u00e9.txt'""", Cell);
        RunBackup("Full").AssertNoErrors();
        Assert.True(Run("Get-Backup -Repository $repo -Cell crm -Latest | Test-BackupIntegrity").AssertNoErrors().Single<IntegrityResult>().Passed);
        var dest = Restore();
        Assert.Equal(Listing(Cell), Listing(dest));
        Assert.Contains("./\u00ff\u00fe-name.txt|f|7|", Encoding.Latin1.GetString(Listing(dest)));
        // And again as an incremental on top, with one such file changed and one deleted.
        Sh("""cd "$1" && printf 'changed!' > $'\xff\xfe-name.txt' && rm $'dir-\xe9t\xe9/f\x80.bin'""", Cell);
        RunBackup("Incremental").AssertNoErrors();
        Sh("""rm -rf "$1" """, dest);
        Assert.Equal(Listing(Cell), Listing(Restore()));
    }

    [Fact]
    public void A_path_longer_than_PATH_MAX_is_reported_by_name_and_the_rest_is_backed_up()
    {
        InitPlainRepo();
        // Components chosen so the deepest kept folder's path is 3996 bytes and the next one's is 4197.
        var rootLength = Encoding.UTF8.GetByteCount(Cell);
        var steps = (3995 - rootLength - 1) / 201;
        var first = new string('a', 3995 - rootLength - 201 * steps);
        var rest = new string('d', 200);
        var beyond = "beyond" + new string('b', 194);
        Sh("""cd "$1" && mkdir "$2" && cd "$2" && for i in $(seq "$3"); do mkdir "$4" && cd "$4" || exit 1; done && printf kept > kept.txt && mkdir "$5" && printf lost > "$5"/f.txt""",
            Cell, first, steps.ToString(), rest, beyond);
        var result = RunBackup("Full").AssertNoErrors();
        var warning = Assert.Single(result.Warnings, w => w.Contains("PATH_MAX"));
        Assert.Contains($"{rest}/{beyond}'", warning);
        var dest = Restore();
        Assert.Equal("the rest of the tree", File.ReadAllText(Path.Combine(dest, "ok.txt")));
        var kept = Path.Combine([dest, first, .. Enumerable.Repeat(rest, steps), "kept.txt"]);
        Assert.Equal("kept", File.ReadAllText(kept));
        Assert.Equal(["kept.txt"], Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(kept)!).Select(Path.GetFileName));
    }

    /// <summary>Every path of a tree with its type, size, mode and link target, and every file's bytes: as raw bytes.</summary>
    private static byte[] Listing(string root) =>
        Sh("""cd "$1" && find . \( -type f -printf '%p|f|%s|%m\n' \) -o -printf '%p|%y|%m|%l\n' | LC_ALL=C sort && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 cat""", root);

    private static byte[] Sh(string script, params string[] args)
    {
        var start = new ProcessStartInfo("bash", ["-c", script, "bash", .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        using var output = new MemoryStream();
        var error = process.StandardError.ReadToEndAsync();
        process.StandardOutput.BaseStream.CopyTo(output);
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"bash failed: {error.Result}");
        return output.ToArray();
    }

    public override void Dispose()
    {
        // .NET cannot delete paths beyond PATH_MAX (nor, portably, non-UTF-8 names); rm can.
        Sh("""rm -rf "$1" """, Temp.Path);
        base.Dispose();
    }
}

/// <summary>Non-UTF-8 names in tar, both ways with GNU tar. Skipped (passes trivially) where GNU tar is not installed.</summary>
public sealed class NonUtf8TarInteropTests
{
    private static readonly byte[] NameBytes = [0xff, 0xfe, (byte)'-', (byte)'n', (byte)'a', (byte)'m', (byte)'e'];

    [Fact]
    public void Gnu_tar_extracts_our_non_UTF8_names_byte_exact()
    {
        if (!BackupTools.Tests.Tar.TarTestSupport.HasGnuTar()) return;
        using var tmp = new TempDir();
        var name = BackupTools.Core.Posix.PosixNames.FromBytes(NameBytes);
        var archive = tmp.Sub("ours.tar");
        using (var output = File.Create(archive))
        {
            var tar = new BackupTools.Core.Engines.Directory.Tar.TarWriter(output);
            tar.WriteBytes(name, "payload"u8, 0b110_100_100, DateTimeOffset.UnixEpoch);
            tar.WriteSymlink("link", name, 0b111_111_111, DateTimeOffset.UnixEpoch);
            tar.Finish();
        }
        var listing = Bash("""mkdir "$1/x" && tar -xf "$2" -C "$1/x" && cd "$1/x" && LC_ALL=C ls -1 && readlink link && cat "$(readlink link)" """, tmp.Path, archive);
        Assert.Equal([.. "link\n"u8, .. NameBytes, .. "\n"u8, .. NameBytes, .. "\npayload"u8], listing);
    }

    [Fact]
    public void We_read_non_UTF8_names_from_gnu_tar()
    {
        if (!BackupTools.Tests.Tar.TarTestSupport.HasGnuTar()) return;
        using var tmp = new TempDir();
        Bash("""mkdir "$1/src" && cd "$1/src" && printf payload > $'\xff\xfe-name' && ln -s $'\xff\xfe-name' link && tar --format=pax -cf ../gnu.tar $'\xff\xfe-name' link""", tmp.Path);
        using var input = File.OpenRead(tmp.Sub("gnu.tar"));
        var reader = new BackupTools.Core.Engines.Directory.Tar.TarReader(input);
        var file = reader.Next()!;
        Assert.Equal(NameBytes, BackupTools.Core.Posix.PosixNames.ToBytes(file.Header.Path));
        Assert.Equal("payload"u8.ToArray(), file.ReadAllBytes());
        Assert.Equal(NameBytes, BackupTools.Core.Posix.PosixNames.ToBytes(reader.Next()!.Header.LinkTarget!));
    }

    private static byte[] Bash(string script, params string[] args)
    {
        var start = new ProcessStartInfo("bash", ["-c", script, "bash", .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        using var output = new MemoryStream();
        var error = process.StandardError.ReadToEndAsync();
        process.StandardOutput.BaseStream.CopyTo(output);
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"bash failed: {error.Result}");
        return output.ToArray();
    }
}
