using System.Text.Json.Nodes;
using BackupTools.Tests.Cells;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Keys;

/// <summary>
/// Incremental cell backups on a host holding only the public key file: each key-pair backup also stores its file-state
/// index readable with the pair's writer secret (paths, sizes, times, modes, owners — no content), which the next
/// incremental compares with. The restore host restores the chain byte-identical; key rotation carries the state's key.
/// </summary>
public sealed class WriteOnlyIncrementalTests : CellTestBase
{
    private string PrivateKey => Temp.Sub("keys/prod.json");
    private string PublicKey => Temp.Sub("keys/prod.public.json");
    private string NextPrivate => Temp.Sub("keys/next.json");
    private string NextPublic => Temp.Sub("keys/next.public.json");

    private BackupRecord BackupWith(string keyFile, string type) =>
        Run($"Backup-Cell -Name crm -Path $cell -Repository $repo -KeyFile $k -Type {type}", ("k", keyFile)).AssertNoErrors().Single<BackupRecord>();

    private void AssertRestoresWith(string keyFile, string name)
    {
        var dest = Temp.Sub(name);
        Run("Restore-Cell -Name crm -Repository $repo -KeyFile $k -Destination $d -Confirm:$false", ("k", keyFile), ("d", dest)).AssertNoErrors();
        TreeSnapshot.AssertSame(Cell, dest);
    }

    [Fact]
    public void Public_key_host_makes_full_and_incrementals_and_the_restore_host_restores_the_chain_byte_identical()
    {
        Directory.CreateDirectory(Temp.Sub("keys"));
        SampleTree.Create(Cell);
        var big = new byte[2 << 20];
        new Random(5).NextBytes(big);
        File.WriteAllBytes(Path.Combine(Cell, "big.bin"), big);
        Run("Initialize-BackupRepository -Format v1 -Path $repo | Out-Null; New-BackupKey -Path $p -KeyPair -Name prod | Out-Null; New-BackupKey -Path $n -KeyPair -Name next | Out-Null",
            ("p", PrivateKey), ("n", NextPrivate)).AssertNoErrors();

        var full = BackupWith(PublicKey, "Full");
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(Repo, "backups", full.Id, "manifest.json")))!;
        Assert.StartsWith("writer:", (string)manifest["objects"]!["state"]!["wrappedKey"]!);

        File.WriteAllText(Path.Combine(Cell, "added.txt"), "new after the full");
        File.AppendAllText(Path.Combine(Cell, "README.txt"), "changed\n");
        File.Delete(Path.Combine(Cell, "conf", "app.yaml"));
        var first = BackupWith(PublicKey, "Incremental");
        Assert.Equal((BackupKind.Incremental, full.Id), (first.Kind, first.ParentId));
        Assert.True(first.StoredBytes < full.StoredBytes / 4, $"the incremental stored {first.StoredBytes} bytes, the full {full.StoredBytes}: it did not diff");

        // Still no content for this host.
        Run("Restore-Cell -Name crm -Repository $repo -KeyFile $k -Destination $d -Confirm:$false", ("k", PublicKey), ("d", Temp.Sub("denied"))).AssertError("PrivateKeyRequired");

        // Rotation onto the next pair (its public key file): the state's key travels with the data key.
        Run("Update-BackupKey -Repository $repo -From $p -To $n -Confirm:$false | Out-Null", ("p", PrivateKey), ("n", NextPublic)).AssertNoErrors();
        File.WriteAllText(Path.Combine(Cell, "added.txt"), "changed after the rotation");
        Directory.CreateDirectory(Path.Combine(Cell, "later"));
        File.WriteAllText(Path.Combine(Cell, "later", "x.txt"), "x");
        var second = BackupWith(NextPublic, "Incremental");
        Assert.Equal((BackupKind.Incremental, first.Id), (second.Kind, second.ParentId));

        File.Delete(PrivateKey);
        File.Delete(PublicKey);
        var checks = Run("Get-Backup -Repository $repo | Test-BackupIntegrity -KeyFile $n", ("n", NextPrivate)).AssertNoErrors().Objects<IntegrityResult>().ToList();
        Assert.Equal(3, checks.Count);
        Assert.All(checks, c => Assert.True(c.Passed, string.Join("; ", c.Checks)));
        AssertRestoresWith(NextPrivate, "restored");
    }
}
