using System.Text.Json.Nodes;
using BackupTools.Core.Engines.Directory;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Cells;

public sealed class CellSafetyTests : CellTestBase
{
    /// <summary>Writes a backup whose archive holds whatever the test built, bypassing our tar writer.</summary>
    private string ForgeBackup(Func<string, byte[]> archiveForId, CellIndex index)
    {
        var repository = BackupRepository.Open(new LocalBackupStore(Repo));
        using var writer = repository.BeginBackup(new BackupPlan("crm", Cell, CellBackupOperation.EngineName, BackupKind.Full, null, CompressionSettings.Default), null);
        using (var data = writer.OpenObject("data"))
        {
            data.Write(archiveForId(writer.Id));
            data.Complete();
        }
        using (var idx = writer.OpenObject(CellIndex.ObjectRole))
        {
            index.WriteTo(idx);
            idx.Complete();
        }
        return writer.Complete(new JsonObject()).Id;
    }

    private static string Meta(string id) =>
        new CellMeta(DateTimeOffset.UtcNow, "h", "0", "crm", id, "Full", null, "/x").ToJson() is var b ? System.Text.Encoding.UTF8.GetString(b) : "";

    [Theory]
    [InlineData("data/../../evil.txt")]
    [InlineData("data/sub/../../../evil.txt")]
    [InlineData("/tmp/evil.txt")]
    public void Restore_refuses_entries_that_escape_the_destination(string entryName)
    {
        Run("Initialize-BackupRepository -Format v1 -Path $repo | Out-Null").AssertNoErrors();
        var index = new CellIndex();
        index.Add(new CellEntry("", CellEntryKind.Directory, 0, 0, 0b111_101_101, null));
        var id = ForgeBackup(bid => new RawTar().File("meta.json", Meta(bid)).Directory("data").File(entryName, "pwned").Finish(), index);
        var dest = Temp.Sub("deep/dest");
        Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
        Run("Restore-Cell -Id $id -Repository $repo -Destination $dest -Confirm:$false", ("id", id), ("dest", dest)).AssertError("RestoreEntryEscapesDestination");
        Assert.Empty(Directory.EnumerateFiles(Temp.Path, "evil.txt", SearchOption.AllDirectories));
        Assert.False(File.Exists("/tmp/evil.txt") && File.ReadAllText("/tmp/evil.txt") == "pwned");
        Assert.False(Directory.Exists(dest));
    }

    [Fact]
    public void Restore_never_writes_through_a_symlink_from_the_archive()
    {
        Run("Initialize-BackupRepository -Format v1 -Path $repo | Out-Null").AssertNoErrors();
        var outside = Temp.Sub("outside");
        Directory.CreateDirectory(outside);
        var index = new CellIndex();
        index.Add(new CellEntry("", CellEntryKind.Directory, 0, 0, 0b111_101_101, null));
        index.Add(new CellEntry("link", CellEntryKind.Symlink, 0, 0, 0b111_111_111, outside));
        var id = ForgeBackup(bid => new RawTar().File("meta.json", Meta(bid)).Directory("data").Symlink("data/link", outside).File("data/link/evil.txt", "pwned").Finish(), index);
        var dest = Temp.Sub("dest");
        Run("Restore-Cell -Id $id -Repository $repo -Destination $dest -Confirm:$false", ("id", id), ("dest", dest));
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
    }
}
