using System.Management.Automation;
using System.Net;
using System.Text.Json.Nodes;
using Amazon.S3.Model;
using BackupTools.Tests.Infrastructure;
using BackupTools.Tests.Servers;
using BackupTools.Tests.Storage;

namespace BackupTools.Tests.Faults;

/// <summary>
/// Issue 14 item 2: a manifest must be bound to its folder. Exchanging two backups' manifest.json made
/// Restore-Cell -Id B1 restore B2, Test-BackupIntegrity -Id B1 check B2, and Remove-Backup -Id B1 delete B1's
/// folder (so B2 vanished). Every read now refuses a manifest that is not its folder's (BackupManifestMismatch).
/// </summary>
public abstract class ManifestBindingFaultTests : IDisposable
{
    protected readonly TempDir Temp = new();
    private readonly PsSession _ps = new();

    protected abstract string Repo { get; }
    protected abstract string ExtraArgs { get; }
    protected abstract object? Credential { get; }
    protected abstract byte[] ReadKey(string key);
    protected abstract void WriteKey(string key, byte[] content);
    protected abstract bool KeyExists(string key);

    private string CellA => Temp.Sub("cells/a");
    private string CellB => Temp.Sub("cells/b");

    private PsResult Run(string script, params (string Name, object? Value)[] extra)
    {
        var vars = new Dictionary<string, object?> { ["repo"] = Repo, ["key"] = Temp.Sub("key.json"), ["cred"] = Credential, ["a"] = CellA, ["b"] = CellB };
        foreach (var (name, value) in extra) vars[name] = value;
        return _ps.Run(script.Replace("@X", ExtraArgs), vars);
    }

    /// <summary>Two backups of different cells, their manifests then exchanged.</summary>
    private (BackupRecord B1, BackupRecord B2) TwoBackupsWithSwappedManifests(bool encrypted = false)
    {
        SampleTree.Create(CellA);
        Directory.CreateDirectory(CellB);
        File.WriteAllText(Path.Combine(CellB, "only-in-b.txt"), "content of cell b\n");
        Run("Initialize-BackupRepository -Format v1 -Path $repo @X | Out-Null; New-BackupKey -Path $key | Out-Null").AssertNoErrors();
        var keyArg = encrypted ? "-KeyFile $key" : "";
        var b1 = Run($"Backup-Cell -Name a -Path $a -Repository $repo @X {keyArg}").AssertNoErrors().Single<BackupRecord>();
        var b2 = Run($"Backup-Cell -Name b -Path $b -Repository $repo @X {keyArg}").AssertNoErrors().Single<BackupRecord>();
        var m1 = ReadKey(Manifest(b1.Id));
        WriteKey(Manifest(b1.Id), ReadKey(Manifest(b2.Id)));
        WriteKey(Manifest(b2.Id), m1);
        return (b1, b2);
    }

    private static string Manifest(string id) => $"backups/{id}/manifest.json";

    [Fact]
    public void Swapped_manifests_are_refused_by_restore_verify_and_remove()
    {
        var (b1, b2) = TwoBackupsWithSwappedManifests();

        var dest = Temp.Sub("restored");
        var restore = Run("Restore-Cell -Id $id -Repository $repo @X -Destination $dest -Confirm:$false", ("id", b1.Id), ("dest", dest));
        var error = restore.AssertError("BackupManifestMismatch");
        Assert.Contains(b1.Id, error.Exception.Message); // the folder
        Assert.Contains(b2.Id, error.Exception.Message); // the id inside
        Assert.False(Directory.Exists(dest) && Directory.EnumerateFileSystemEntries(dest).Any(), "nothing of B2 may be restored as B1");

        var check = Run("Test-BackupIntegrity -Id $id -Repository $repo @X", ("id", b1.Id));
        var integrity = check.Single<IntegrityResult>();
        Assert.False(integrity.Passed);
        Assert.Equal("manifest", integrity.FailedCheck);
        Assert.Contains(integrity.Checks, c => !c.Passed && c.Detail.Contains(b2.Id) && c.Detail.Contains("does not hold its own manifest"));

        Run("Remove-Backup -Id $id -Repository $repo @X -Confirm:$false", ("id", b1.Id)).AssertError("BackupManifestMismatch");
        Assert.True(KeyExists(Manifest(b1.Id)) && KeyExists($"backups/{b1.Id}/data"), "B1's folder must not be deleted");
        Assert.True(KeyExists(Manifest(b2.Id)) && KeyExists($"backups/{b2.Id}/data"), "B2's folder must not be deleted");

        // Listings read the catalog, written with each backup, so a manifest edited afterwards shows when the catalog is
        // rebuilt from the manifests: that flags both folders instead of attributing either one's data to the other id.
        var rebuild = Run("Repair-BackupRepository -RebuildIndex -Repository $repo @X -Confirm:$false");
        Assert.Contains(rebuild.Warnings, w => w.Contains(b1.Id) && w.Contains("does not hold its own manifest"));
        Assert.Contains(rebuild.Warnings, w => w.Contains(b2.Id) && w.Contains("does not hold its own manifest"));
        Assert.Empty(Run("Get-Backup -Repository $repo @X").AssertNoErrors().Objects<BackupRecord>());

        // Put back, both are whole again: the check refuses only the exchange, not the backups.
        var m1 = ReadKey(Manifest(b1.Id));
        WriteKey(Manifest(b1.Id), ReadKey(Manifest(b2.Id)));
        WriteKey(Manifest(b2.Id), m1);
        Run("Repair-BackupRepository -RebuildIndex -Repository $repo @X -Confirm:$false").AssertNoErrors();
        Assert.Equal([b1.Id, b2.Id], Run("Get-Backup -Repository $repo @X").AssertNoErrors().Objects<BackupRecord>().Select(r => r.Id));
        Run("Restore-Cell -Id $id -Repository $repo @X -Destination $dest -Confirm:$false", ("id", b1.Id), ("dest", dest)).AssertNoErrors();
        TreeSnapshot.AssertSame(CellA, dest);
    }

    [Fact]
    public void Manifest_pointing_at_another_backups_object_is_refused()
    {
        var (b1, b2) = TwoBackupsWithSwappedManifests();
        // Undo the exchange but give B1's manifest B2's data object (with B2's hashes, as a forger would).
        var asB2 = JsonNode.Parse(ReadKey(Manifest(b1.Id)))!.AsObject();
        var asB1 = JsonNode.Parse(ReadKey(Manifest(b2.Id)))!.AsObject();
        asB1["objects"]!["data"] = asB2["objects"]!["data"]!.DeepClone();
        WriteKey(Manifest(b1.Id), System.Text.Encoding.UTF8.GetBytes(asB1.ToJsonString()));
        WriteKey(Manifest(b2.Id), System.Text.Encoding.UTF8.GetBytes(asB2.ToJsonString()));

        var error = Run("Restore-Cell -Id $id -Repository $repo @X -Destination $dest -Confirm:$false", ("id", b1.Id), ("dest", Temp.Sub("r")))
            .AssertError("BackupManifestMismatch");
        Assert.Contains($"backups/{b2.Id}/data", error.Exception.Message);
        Run("Repair-BackupRepository -RebuildIndex -Repository $repo @X -Confirm:$false");
        Assert.Equal([b2.Id], Run("Get-Backup -Repository $repo @X").Objects<BackupRecord>().Select(r => r.Id));
    }

    public virtual void Dispose()
    {
        _ps.Dispose();
        Temp.Dispose();
        GC.SuppressFinalize(this);
    }
}

public sealed class LocalManifestBindingFaultTests : ManifestBindingFaultTests
{
    protected override string Repo => Temp.Sub("repo");
    protected override string ExtraArgs => "";
    protected override object? Credential => null;
    private string PathOf(string key) => Path.Combine(Repo, key);
    protected override byte[] ReadKey(string key) => File.ReadAllBytes(PathOf(key));
    protected override void WriteKey(string key, byte[] content) => File.WriteAllBytes(PathOf(key), content);
    protected override bool KeyExists(string key) => File.Exists(PathOf(key));

    [Fact]
    public void Encrypted_manifest_moved_and_renamed_to_the_folder_does_not_unwrap()
    {
        // The id is the associated data of the wrapped data key: editing the swapped-in manifest's id to match
        // the folder (which passes the binding check) leaves a key that no longer unwraps.
        var psRun = new PsSession();
        SampleTree.Create(Temp.Sub("cells/a"));
        var vars = new Dictionary<string, object?> { ["repo"] = Repo, ["key"] = Temp.Sub("key.json"), ["a"] = Temp.Sub("cells/a") };
        psRun.Run("Initialize-BackupRepository -Format v1 -Path $repo | Out-Null; New-BackupKey -Path $key | Out-Null", vars).AssertNoErrors();
        var b1 = psRun.Run("Backup-Cell -Name a -Path $a -Repository $repo -KeyFile $key", vars).AssertNoErrors().Single<BackupRecord>();
        var b2 = psRun.Run("Backup-Cell -Name a -Path $a -Repository $repo -KeyFile $key", vars).AssertNoErrors().Single<BackupRecord>();
        var forged = JsonNode.Parse(File.ReadAllText(PathOf($"backups/{b2.Id}/manifest.json")))!.AsObject();
        forged["id"] = b1.Id;
        forged["objects"]!["data"]!["key"] = $"backups/{b1.Id}/data";
        forged["objects"]!["index"]!["key"] = $"backups/{b1.Id}/index";
        // B2's objects copied under B1's names, so only the key binding can tell.
        File.Copy(PathOf($"backups/{b2.Id}/data"), PathOf($"backups/{b1.Id}/data"), overwrite: true);
        File.Copy(PathOf($"backups/{b2.Id}/index"), PathOf($"backups/{b1.Id}/index"), overwrite: true);
        File.WriteAllText(PathOf($"backups/{b1.Id}/manifest.json"), forged.ToJsonString());
        vars["id"] = b1.Id;
        vars["dest"] = Temp.Sub("r");
        psRun.Run("Restore-Cell -Id $id -Repository $repo -KeyFile $key -Destination $dest -Confirm:$false", vars).AssertError("DataKeyUnwrapFailed");
        psRun.Dispose();
    }
}

public sealed class S3ManifestBindingFaultTests : ManifestBindingFaultTests
{
    private readonly S3TestBucket _bucket = new();
    private const string Prefix = "team/prod";

    protected override string Repo => _bucket.Uri(Prefix);
    protected override string ExtraArgs => "-StorageCredential $cred";
    protected override object? Credential => new PSCredential(TestServers.S3.AccessKey, new NetworkCredential("", TestServers.S3.SecretKey).SecurePassword);

    protected override byte[] ReadKey(string key)
    {
        using var response = _bucket.Client.GetObjectAsync(_bucket.Name, $"{Prefix}/{key}").GetAwaiter().GetResult();
        using var buffer = new MemoryStream();
        response.ResponseStream.CopyTo(buffer);
        return buffer.ToArray();
    }

    protected override void WriteKey(string key, byte[] content) =>
        _bucket.Client.PutObjectAsync(new PutObjectRequest { BucketName = _bucket.Name, Key = $"{Prefix}/{key}", InputStream = new MemoryStream(content) }).GetAwaiter().GetResult();

    protected override bool KeyExists(string key) => _bucket.AllKeys().Contains($"{Prefix}/{key}");

    public override void Dispose()
    {
        base.Dispose();
        _bucket.Dispose();
    }
}
