using BackupTools.Tests.Infrastructure;
using BackupTools.Tests.Postgres;

namespace BackupTools.Tests.Keys;

/// <summary>
/// A backup host holding only the public half of a key pair backs up a real PostgreSQL database and a cell, copies them
/// and checks their stored bytes, but cannot read them: restores fail naming the private key to pass. A restore host
/// with the private key file restores both from the copy.
/// </summary>
public sealed class WriteOnlyHostTests : PostgresTestBase
{
    private string PrivateKey => Temp.Sub("keys/prod.json");
    private string PublicKey => Temp.Sub("keys/prod.public.json");
    private string Copy => Temp.Sub("copy");

    [Fact]
    public void Public_key_host_backs_up_and_copies_but_cannot_restore_and_the_private_key_host_restores()
    {
        Directory.CreateDirectory(Temp.Sub("keys"));
        SampleTree.Create(Cell);
        var info = Run("Initialize-BackupRepository -Format v1 -Path $repo | Out-Null; Initialize-BackupRepository -Format v1 -Path $copy | Out-Null; New-BackupKey -Path $priv -KeyPair -Name prod-2026q4",
            ("copy", Copy), ("priv", PrivateKey)).AssertNoErrors().Single<KeyInfo>();
        Assert.Equal(PublicKey, info.PublicKeyPath);
        Assert.StartsWith("p-", info.Id);
        foreach (var file in new[] { PrivateKey, PublicKey })
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.DoesNotContain("privateKey", File.ReadAllText(PublicKey));

        // The backup host: only the public key.
        var db = Pg($"Backup-Postgres -Database $db {Conn} -Repository $repo -KeyFile $pub", ("pub", PublicKey)).AssertNoErrors().Single<BackupRecord>();
        var cell = Run("Backup-Cell -Name crm -Path $cell -Repository $repo -KeyFile $pub", ("pub", PublicKey)).AssertNoErrors().Single<BackupRecord>();
        Assert.All(new[] { db, cell }, r => { Assert.Equal(info.Id, r.KeyId); Assert.Equal("prod-2026q4", r.KeyName); });
        var copies = Run("Get-Backup -Repository $repo | Copy-Backup -Target $copy", ("copy", Copy)).AssertNoErrors().Objects<BackupRecord>().ToList();
        Assert.Equal(2, copies.Count);
        var stored = Run("Get-Backup -Repository $copy | Test-BackupIntegrity -StoredOnly -KeyFile $pub", ("copy", Copy), ("pub", PublicKey))
            .AssertNoErrors().Objects<IntegrityResult>().ToList();
        Assert.Equal(2, stored.Count);
        Assert.All(stored, r => Assert.True(r.Passed, string.Join("; ", r.Checks)));
        Assert.All(stored, r => Assert.Contains(r.Checks, c => c.Name == "data:stored-sha256" && c.Passed));

        var restoredDb = Db.Name + "_wo";
        var dest = Temp.Sub("restored");
        try
        {
            var denied = Pg($"Restore-Postgres -Id $id -TargetDatabase $t {Conn} -Repository $copy -KeyFile $pub -Confirm:$false", ("id", db.Id), ("t", restoredDb), ("copy", Copy), ("pub", PublicKey));
            var error = denied.AssertError("PrivateKeyRequired");
            Assert.Contains(info.Id, error.ToString());
            Assert.Contains("prod-2026q4", error.ToString());
            Assert.Contains("-KeyFile", error.ErrorDetails?.RecommendedAction ?? error.CategoryInfo.Reason + error);
            Assert.False(PgTestDatabase.Exists(restoredDb));
            Run("Restore-Cell -Id $id -Repository $copy -KeyFile $pub -Destination $dest -Confirm:$false", ("id", cell.Id), ("copy", Copy), ("pub", PublicKey), ("dest", dest))
                .AssertError("PrivateKeyRequired");
            // A content check names the key too, and without any key the error still asks for the private key by name.
            var content = Run("Test-BackupIntegrity -Id $id -Repository $copy -KeyFile $pub", ("id", cell.Id), ("copy", Copy), ("pub", PublicKey)).Single<IntegrityResult>();
            Assert.False(content.Passed);
            Assert.Contains(content.Checks, c => c.Name == "data:key" && !c.Passed && c.Detail.Contains("PrivateKeyRequired") && c.Detail.Contains("prod-2026q4"));
            var noKey = Run("Restore-Cell -Id $id -Repository $copy -Destination $dest -Confirm:$false", ("id", cell.Id), ("copy", Copy), ("dest", dest)).AssertError("KeyRequired");
            Assert.Contains("PRIVATE key file of key pair " + info.Id + " ('prod-2026q4')", noKey.ErrorDetails?.RecommendedAction ?? noKey.ToString());

            // The restore host: the private key file.
            Pg($"Restore-Postgres -Id $id -TargetDatabase $t {Conn} -Repository $copy -KeyFile $priv -Confirm:$false", ("id", db.Id), ("t", restoredDb), ("copy", Copy), ("priv", PrivateKey)).AssertNoErrors();
            Assert.Equal(PgTestDatabase.Fingerprint(Db.Name), PgTestDatabase.Fingerprint(restoredDb));
            Run("Restore-Cell -Id $id -Repository $copy -KeyFile $priv -Destination $dest -Confirm:$false", ("id", cell.Id), ("copy", Copy), ("priv", PrivateKey), ("dest", dest)).AssertNoErrors();
            TreeSnapshot.AssertSame(Cell, dest);
        }
        finally
        {
            PgTestDatabase.Drop(restoredDb);
        }
    }

    [Fact]
    public void Key_material_never_reaches_output_errors_or_manifests()
    {
        Directory.CreateDirectory(Temp.Sub("keys"));
        SampleTree.Create(Cell);
        Run("Initialize-BackupRepository -Format v1 -Path $repo | Out-Null; New-BackupKey -Path $priv -KeyPair | Out-Null", ("priv", PrivateKey)).AssertNoErrors();
        var privateDer = System.Text.Json.JsonDocument.Parse(File.ReadAllText(PrivateKey)).RootElement.GetProperty("privateKey").GetString()!;
        var result = Run("New-BackupKey -Path $priv -KeyPair; Backup-Cell -Name crm -Path $cell -Repository $repo -KeyFile $pub; Restore-Cell -Name crm -Repository $repo -KeyFile $pub -Destination $d -Confirm:$false",
            ("priv", PrivateKey), ("pub", PublicKey), ("d", Temp.Sub("d")));
        Assert.Contains("KeyFileExists", result.ErrorIds);
        Assert.Contains("PrivateKeyRequired", result.ErrorIds);
        var everything = string.Join("\n", result.Output.Select(o => System.Text.Json.JsonSerializer.Serialize(o)).Concat(result.Errors.Select(e => e + " " + e.ErrorDetails?.RecommendedAction)).Concat(result.Warnings));
        Assert.DoesNotContain(privateDer[..40], everything);
        foreach (var file in Directory.EnumerateFiles(Repo, "*", SearchOption.AllDirectories))
            Assert.DoesNotContain(privateDer[..40], File.ReadAllText(file, System.Text.Encoding.Latin1));
    }
}
