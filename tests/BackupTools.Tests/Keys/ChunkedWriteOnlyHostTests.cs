using System.Text.Json.Nodes;
using BackupTools.Tests.Chunked;
using BackupTools.Tests.Infrastructure;
using BackupTools.Tests.Postgres;

namespace BackupTools.Tests.Keys;

/// <summary>
/// Format 2 with key pairs: a backup host holding only the public key file writes deduplicated backups of a real
/// PostgreSQL database and a cell (it reads the chunk secret and the index through the pair's writer secret), checks
/// their packs, and cannot read them; the private key file restores both.
/// </summary>
public sealed class ChunkedWriteOnlyHostTests : PostgresTestBase
{
    private string PrivateKey => Temp.Sub("keys/prod.json");
    private string PublicKey => Temp.Sub("keys/prod.public.json");

    private KeyInfo NewRepositoryAndPair()
    {
        Directory.CreateDirectory(Temp.Sub("keys"));
        return Run("Initialize-BackupRepository -Path $repo -Format v2 | Out-Null; New-BackupKey -Path $priv -KeyPair -Name prod-2026q4", ("priv", PrivateKey))
            .AssertNoErrors().Single<KeyInfo>();
    }

    [Fact]
    public void Public_key_host_writes_deduplicated_v2_backups_it_cannot_read_and_the_private_key_host_restores()
    {
        SampleTree.Create(Cell);
        ChunkedRepo.AddRandomFile(Path.Combine(Cell, "big.bin"), 8 << 20);
        var pair = NewRepositoryAndPair();

        // The backup host: the public key file only.
        var full = Run("Backup-Cell -Name crm -Path $cell -Repository $repo -KeyFile $pub", ("pub", PublicKey)).AssertNoErrors().Single<BackupRecord>();
        ChunkedRepo.AssertChunked(Repo, full.Id);
        var repeat = Run("Backup-Cell -Name crm -Path $cell -Repository $repo -KeyFile $pub", ("pub", PublicKey)).AssertNoErrors().Single<BackupRecord>();
        Assert.True(repeat.StoredBytes < full.StoredBytes / 4, $"the repeat stored {repeat.StoredBytes} bytes, the first {full.StoredBytes}: the write-only host did not deduplicate");
        var db = Pg($"Backup-Postgres -Database $db {Conn} -Repository $repo -KeyFile $pub", ("pub", PublicKey)).AssertNoErrors().Single<BackupRecord>();
        ChunkedRepo.AssertChunked(Repo, db.Id);

        // The chunk secret is wrapped under the pair's writer secret; packs name the pair.
        var secrets = JsonNode.Parse(File.ReadAllText(Path.Combine(Repo, "repository.json")))!["chunking"]!["secrets"]!.AsArray();
        Assert.Contains(secrets, s => (string)s!["keyId"]! == pair.Id && ((string)s["wrapped"]!).StartsWith("writer:"));

        var stored = Run("Get-Backup -Repository $repo | Test-BackupIntegrity -StoredOnly -KeyFile $pub", ("pub", PublicKey)).AssertNoErrors().Objects<IntegrityResult>().ToList();
        Assert.Equal(3, stored.Count);
        Assert.All(stored, r => Assert.True(r.Passed, string.Join("; ", r.Checks)));

        var dest = Temp.Sub("restored");
        var restoredDb = Db.Name + "_wo2";
        try
        {
            var denied = Run("Restore-Cell -Id $id -Repository $repo -KeyFile $pub -Destination $dest -Confirm:$false", ("id", repeat.Id), ("pub", PublicKey), ("dest", dest)).AssertError("PrivateKeyRequired");
            Assert.Contains("prod-2026q4", denied.ToString());
            Assert.False(Directory.Exists(dest) && Directory.EnumerateFileSystemEntries(dest).Any());
            Pg($"Restore-Postgres -Id $id -TargetDatabase $t {Conn} -Repository $repo -KeyFile $pub -Confirm:$false", ("id", db.Id), ("t", restoredDb), ("pub", PublicKey)).AssertError("PrivateKeyRequired");
            Assert.False(PgTestDatabase.Exists(restoredDb));

            // The restore host: the private key file reads everything.
            var checks = Run("Get-Backup -Repository $repo | Test-BackupIntegrity -KeyFile $priv", ("priv", PrivateKey)).AssertNoErrors().Objects<IntegrityResult>().ToList();
            Assert.All(checks, c => Assert.True(c.Passed, string.Join("; ", c.Checks)));
            Run("Restore-Cell -Id $id -Repository $repo -KeyFile $priv -Destination $dest -Confirm:$false", ("id", repeat.Id), ("priv", PrivateKey), ("dest", dest)).AssertNoErrors();
            TreeSnapshot.AssertSame(Cell, dest);
            Pg($"Restore-Postgres -Id $id -TargetDatabase $t {Conn} -Repository $repo -KeyFile $priv -Confirm:$false", ("id", db.Id), ("t", restoredDb), ("priv", PrivateKey)).AssertNoErrors();
            Assert.Equal(PgTestDatabase.Fingerprint(Db.Name), PgTestDatabase.Fingerprint(restoredDb));
        }
        finally
        {
            PgTestDatabase.Drop(restoredDb);
        }
    }

    [Fact]
    public void A_public_key_file_without_writer_secret_is_refused_by_name_and_an_exported_one_works()
    {
        SampleTree.Create(Cell);
        var pair = NewRepositoryAndPair();
        var document = JsonNode.Parse(File.ReadAllText(PublicKey))!.AsObject();
        Assert.True(document.Remove("writerSecret"), "a new public key file carries the writer secret");
        File.WriteAllText(PublicKey, document.ToJsonString()); // what older versions wrote

        var refused = Run("Backup-Cell -Name crm -Path $cell -Repository $repo -KeyFile $pub", ("pub", PublicKey)).AssertError("WriterSecretMissing");
        Assert.Contains(pair.Id, refused.ToString());
        Assert.Contains("-ExportPublicKey", refused.ErrorDetails?.RecommendedAction ?? "");

        var exported = Run("New-BackupKey -Path $priv -ExportPublicKey -Force", ("priv", PrivateKey)).AssertNoErrors().Single<KeyInfo>();
        Assert.Equal((pair.Id, PublicKey), (exported.Id, exported.PublicKeyPath));
        Assert.DoesNotContain("privateKey", File.ReadAllText(PublicKey));
        Run("Backup-Cell -Name crm -Path $cell -Repository $repo -KeyFile $pub", ("pub", PublicKey)).AssertNoErrors();
        Run("New-BackupKey -Path $pub -ExportPublicKey -PublicKeyPath $other", ("pub", PublicKey), ("other", Temp.Sub("keys/x.json"))).AssertError("ExportPublicKeyNotPrivate");
    }
}
