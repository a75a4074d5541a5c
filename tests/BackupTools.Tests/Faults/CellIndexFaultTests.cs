using System.Text;
using System.Text.Json.Nodes;
using BackupTools.Core.Engines.Directory;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;
using BackupTools.Tests.Cells;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Faults;

/// <summary>
/// Crafted index objects in an unencrypted repository (anyone who can write the repository can write one; the
/// manifest's hashes are made to match). The index decides what a restore deletes, checks and chowns, so
/// every path in it must stay inside the restored tree, and Test-BackupIntegrity must refuse the index.
/// </summary>
public sealed class CellIndexFaultTests : CellTestBase
{
    private const string Header = "{\"format\":\"backuptools-cell-index\",\"version\":1}";
    private const string Root = "{\"p\":\"\",\"k\":\"d\",\"s\":0,\"m\":0,\"mode\":493,\"t\":null,\"u\":0,\"g\":0}";
    private const string Data = "{\"p\":\"f.txt\",\"k\":\"f\",\"s\":5,\"m\":0,\"mode\":420,\"t\":null,\"u\":0,\"g\":0}";

    private static string Line(string path, string kind, long size = 0, string? target = null, int uid = 0) =>
        new JsonObject { ["p"] = path, ["k"] = kind, ["s"] = size, ["m"] = 0, ["mode"] = 420, ["t"] = target, ["u"] = uid, ["g"] = uid }.ToJsonString();

    /// <summary>A backup whose archive is sound (meta.json, data/, data/f.txt) and whose index is the given lines.</summary>
    private string Forge(params string[] indexLines)
    {
        Run("Initialize-BackupRepository -Format v1 -Path $repo | Out-Null").AssertNoErrors();
        var repository = BackupRepository.Open(new LocalBackupStore(Repo));
        using var writer = repository.BeginBackup(new BackupPlan("crm", Cell, CellBackupOperation.EngineName, BackupKind.Full, null, CompressionSettings.Default), null);
        var meta = Encoding.UTF8.GetString(new CellMeta(DateTimeOffset.UtcNow, "h", "0", "crm", writer.Id, "Full", null, Cell).ToJson());
        using (var data = writer.OpenObject(BackupManifest.DataRole))
        {
            data.Write(new RawTar().File("meta.json", meta).Directory("data").File("data/f.txt", "hello").Finish());
            data.Complete();
        }
        using (var index = writer.OpenObject(CellIndex.ObjectRole))
        {
            index.Write(Encoding.UTF8.GetBytes(string.Join("\n", indexLines.Prepend(Header)) + "\n"));
            index.Complete();
        }
        return writer.Complete(new JsonObject { ["storedFiles"] = 1 }).Id;
    }

    private string Victim()
    {
        var victim = Temp.Sub("victim");
        Directory.CreateDirectory(victim);
        File.WriteAllText(Path.Combine(victim, "precious.txt"), "keep me");
        return victim;
    }

    [Fact]
    public void An_absolute_symlink_path_in_the_index_deletes_nothing_outside()
    {
        var victim = Victim();
        var id = Forge(Root, Data, Line(victim, "l", target: "anywhere"));
        var dest = Temp.Sub("dest");
        var error = Run("Restore-Cell -Id $id -Repository $repo -Destination $dest -Confirm:$false", ("id", id), ("dest", dest)).AssertError("CellIndexEntryEscapes");
        Assert.Equal("keep me", File.ReadAllText(Path.Combine(victim, "precious.txt")));
        Assert.False(Directory.Exists(dest));
        Assert.Contains(victim, error.Exception.Message);
    }

    [Fact]
    public void A_dot_dot_path_in_the_index_deletes_nothing_outside()
    {
        // The staged tree lies in <parent>/.dest.bt-restore-*/data: two levels up is the destination's parent.
        var victim = Victim();
        var id = Forge(Root, Data, Line("../../victim", "l", target: "anywhere"));
        var dest = Temp.Sub("dest");
        Run("Restore-Cell -Id $id -Repository $repo -Destination $dest -Confirm:$false", ("id", id), ("dest", dest)).AssertError("CellIndexEntryEscapes");
        Assert.Equal("keep me", File.ReadAllText(Path.Combine(victim, "precious.txt")));
        Assert.False(Directory.Exists(dest));
    }

    [Fact]
    public void An_index_entry_never_chowns_a_file_outside()
    {
        // The owner step runs only as root (as these tests do); as another user the owner cannot change anyway.
        var victim = Path.Combine(Victim(), "precious.txt");
        var owner = Owner(victim);
        var id = Forge(Root, Data, Line("../../victim/precious.txt", "f", size: 7, uid: 4242));
        var dest = Temp.Sub("dest");
        Run("Restore-Cell -Id $id -Repository $repo -Destination $dest -Confirm:$false", ("id", id), ("dest", dest)).AssertError("CellIndexEntryEscapes");
        Assert.Equal(owner, Owner(victim));
    }

    [Fact]
    public void An_index_entry_below_a_symlink_is_refused()
    {
        var victim = Victim();
        var owner = Owner(Path.Combine(victim, "precious.txt"));
        var id = Forge(Root, Data, Line("link", "l", target: victim), Line("link/precious.txt", "f", size: 7, uid: 4242));
        var dest = Temp.Sub("dest");
        Run("Restore-Cell -Id $id -Repository $repo -Destination $dest -Confirm:$false", ("id", id), ("dest", dest)).AssertError("CellIndexEntryEscapes");
        Assert.Equal(owner, Owner(Path.Combine(victim, "precious.txt")));
        Assert.False(Directory.Exists(dest));
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("../outside")]
    [InlineData("a/../../outside")]
    [InlineData("./f.txt")]
    [InlineData("f.txt/")]
    [InlineData("a//b")]
    public void Test_BackupIntegrity_refuses_an_index_with_an_escaping_path(string path)
    {
        var id = Forge(Root, Data, Line(path, "f"));
        var result = Run("Test-BackupIntegrity -Id $id -Repository $repo", ("id", id)).Single<IntegrityResult>();
        Assert.False(result.Passed);
        var failed = Assert.Single(result.Checks, c => !c.Passed);
        Assert.StartsWith("index", failed.Name);
        Assert.Contains("outside", failed.Detail);
    }

    [Fact]
    public void Test_BackupIntegrity_refuses_an_index_that_is_not_json()
    {
        var id = Forge(Root, "{not json");
        var result = Run("Test-BackupIntegrity -Id $id -Repository $repo", ("id", id)).Single<IntegrityResult>();
        Assert.False(result.Passed);
        Assert.Contains("malformed", Assert.Single(result.Checks, c => !c.Passed).Detail);
    }

    [Fact]
    public void A_sound_forged_backup_restores_and_passes_so_the_refusals_above_are_about_the_paths()
    {
        var id = Forge(Root, Data);
        Assert.True(Run("Test-BackupIntegrity -Id $id -Repository $repo", ("id", id)).AssertNoErrors().Single<IntegrityResult>().Passed);
        var dest = Temp.Sub("dest");
        Run("Restore-Cell -Id $id -Repository $repo -Destination $dest -Confirm:$false", ("id", id), ("dest", dest)).AssertNoErrors();
        Assert.Equal("hello", File.ReadAllText(Path.Combine(dest, "f.txt")));
    }

    private static int Owner(string path)
    {
        var output = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%u", path]) { RedirectStandardOutput = true })!;
        var text = output.StandardOutput.ReadToEnd();
        output.WaitForExit();
        return int.Parse(text.Trim());
    }
}
