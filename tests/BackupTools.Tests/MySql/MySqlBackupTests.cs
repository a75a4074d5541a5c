using System.Diagnostics;
using System.Management.Automation;
using BackupTools.Core.Keys;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;
using BackupTools.Tests.Cells;
using BackupTools.Tests.Infrastructure;
using BackupTools.Tests.Servers;

namespace BackupTools.Tests.MySql;

[Collection("servers")]
public sealed class MySqlBackupTests : CellTestBase
{
    private readonly MySqlTestDatabase _db = new();
    private static MySqlServer Server => TestServers.MySql;
    private const string Conn = "-Server $myServer -Port $myPort -Credential $cred";

    private PsResult My(string script, params (string Name, object? Value)[] extra)
    {
        var credential = new PSCredential(Server.User, new System.Net.NetworkCredential("", Server.Password).SecurePassword);
        var all = new List<(string, object?)> { ("db", _db.Name), ("myServer", Server.Host), ("myPort", Server.Port), ("cred", credential) };
        all.AddRange(extra);
        return Run(script, all.ToArray());
    }

    /// <summary>Replays a backup's decrypted dump into a new database with the mariadb client (Restore-MySql is not built yet).</summary>
    private string Replay(BackupRecord record)
    {
        var target = _db.Name + "_replay";
        MySqlTestDatabase.Execute(null, $"create database {target} character set utf8mb4");
        var repository = BackupRepository.Open(new LocalBackupStore(Repo));
        var keys = BackupKeyRing.Load(new KeySources([KeyPath], [], false));
        var psi = new ProcessStartInfo("mariadb") { RedirectStandardInput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--protocol=tcp", "-h", Server.Host, "-P", Server.Port.ToString(), "-u", Server.User, target }) psi.ArgumentList.Add(a);
        psi.Environment["MYSQL_PWD"] = Server.Password;
        using var client = Process.Start(psi)!;
        using (var data = repository.OpenObject(repository.GetManifest(record.Id), "data", keys))
        {
            data.CopyTo(client.StandardInput.BaseStream);
            data.VerifyToEnd();
        }
        client.StandardInput.Close();
        var errors = client.StandardError.ReadToEnd();
        client.WaitForExit();
        Assert.True(client.ExitCode == 0, errors);
        return target;
    }

    [Fact]
    public void Dump_holds_every_shard_routine_trigger_event_and_blob_and_records_binlog_position()
    {
        InitRepoWithKey(createCell: false);
        var result = My($"Backup-MySql -Database $db {Conn} -Repository $repo -KeyFile $key | Test-BackupIntegrity -KeyFile $key").AssertNoErrors();
        var integrity = result.Single<IntegrityResult>();
        Assert.True(integrity.Passed, string.Join("; ", integrity.Checks));
        Assert.Contains(integrity.Checks, c => c.Name == "data:dump-complete" && c.Passed);
        Assert.Contains(result.Warnings, w => w.Contains("legacy_counter (MyISAM)"));

        var record = Run("Get-Backup -Repository $repo").Single<BackupRecord>();
        Assert.Equal("MariaDB", record.EngineInfo["flavor"]);
        Assert.StartsWith("binlog.", (string)record.EngineInfo["binlogFile"]!);
        Assert.True((long)record.EngineInfo["binlogPosition"]! > 0);
        Assert.False(string.IsNullOrEmpty((string?)record.EngineInfo["gtidSet"]));
        var tables = ((object?[])record.EngineInfo["tables"]!).Cast<IReadOnlyDictionary<string, object?>>().ToList();
        Assert.Equal(123, tables.Count);
        Assert.All(Enumerable.Range(0, 120), i => Assert.Contains(tables, t => (string)t["table"]! == $"orders_{i}"));
        Assert.Contains(tables, t => (string)t["table"]! == "events_log" && (long)t["rows"]! == 100000);

        var replay = Replay(record);
        try
        {
            Assert.Equal(MySqlTestDatabase.Fingerprint(_db.Name), MySqlTestDatabase.Fingerprint(replay));
        }
        finally
        {
            MySqlTestDatabase.Drop(replay);
        }
    }

    [Fact]
    public void Restore_test_loads_the_dump_into_a_throwaway_database_and_matches_every_table()
    {
        InitRepoWithKey(createCell: false);
        var result = My($"Backup-MySql -Database $db {Conn} -Repository $repo -KeyFile $key | Test-BackupIntegrity -KeyFile $key -RestoreTest {Conn}")
            .AssertNoErrors().Single<IntegrityResult>();
        Assert.True(result.Passed, string.Join("; ", result.Checks));
        var check = Assert.Single(result.Checks, c => c.Name == "restore-test");
        Assert.Contains("restored 123 tables", check.Detail);
        Assert.NotNull(result.RestoreDuration);
        Assert.Empty(MySqlTestDatabase.Column(null, "select schema_name from information_schema.schemata where schema_name like '%__bt_test_%'"));
    }

    [Fact]
    public void Password_reaches_the_dump_tool_only_through_a_private_defaults_file()
    {
        InitRepoWithKey(createCell: false);
        My($"Backup-MySql -Database $db {Conn} -Repository $repo -KeyFile $key").AssertNoErrors();
        foreach (var manifest in Directory.EnumerateFiles(Repo, "manifest.json", SearchOption.AllDirectories))
            Assert.DoesNotContain(Server.Password, File.ReadAllText(manifest));
        var leftovers = Directory.GetFiles(BackupTools.Core.Engines.External.SecretFolders.ForThisProcess(), "*.cnf");
        Assert.Empty(leftovers);
    }

    [Fact]
    public void Bad_credentials_unknown_database_server_down_and_missing_tool_are_clear_errors_with_no_record()
    {
        InitRepoWithKey(createCell: false);
        var wrong = new PSCredential(Server.User, new System.Net.NetworkCredential("", "Wr0ng-Pa55").SecurePassword);
        var error = My("Backup-MySql -Database $db -Server $myServer -Port $myPort -Credential $bad -Repository $repo -KeyFile $key", ("bad", wrong)).AssertError("MySqlAuthenticationFailed");
        Assert.DoesNotContain("Wr0ng-Pa55", error.Exception.ToString());
        My($"Backup-MySql -Database no_such_db_here {Conn} -Repository $repo -KeyFile $key").AssertError("MySqlDatabaseNotFound");
        My("Backup-MySql -Database $db -Server 127.0.0.1 -Port 1 -Credential $cred -Repository $repo -KeyFile $key").AssertError("MySqlUnreachable");
        My($"Backup-MySql -Database $db {Conn} -Repository $repo -KeyFile $key -ToolPath $t", ("t", Temp.Path)).AssertError("MySqlDumpNotFound");
        Assert.Empty(Run("Get-Backup -Repository $repo").Output);
    }

    [Fact]
    public void A_dump_cut_short_fails_verification()
    {
        Run("Initialize-BackupRepository -Format v1 -Path $repo -Compression none | Out-Null").AssertNoErrors();
        var record = My($"Backup-MySql -Database $db {Conn} -Repository $repo").AssertNoErrors().Single<BackupRecord>();
        // Rewrite the (unencrypted, uncompressed) object without its last lines and fix the manifest's
        // sizes and hashes, as a dump that died before its end would look if it had been recorded.
        var repository = BackupRepository.Open(new LocalBackupStore(Repo));
        var manifest = repository.GetManifest(record.Id);
        var path = Path.Combine(Repo, manifest.Data.Key);
        var bytes = File.ReadAllBytes(path)[..^400];
        File.WriteAllBytes(path, bytes);
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes)).ToLowerInvariant();
        var json = File.ReadAllText(Path.Combine(Repo, "backups", record.Id, "manifest.json"))
            .Replace(manifest.Data.Sha256, hash).Replace(manifest.Data.RawSha256, hash)
            .Replace($"\"storedBytes\": {manifest.Data.StoredBytes}", $"\"storedBytes\": {bytes.Length}")
            .Replace($"\"rawBytes\": {manifest.Data.RawBytes}", $"\"rawBytes\": {bytes.Length}");
        File.WriteAllText(Path.Combine(Repo, "backups", record.Id, "manifest.json"), json);
        var integrity = Run("Test-BackupIntegrity -Id $id -Repository $repo", ("id", record.Id)).Single<IntegrityResult>();
        Assert.Equal("data:dump-complete", integrity.FailedCheck);
    }

    public override void Dispose()
    {
        _db.Dispose();
        base.Dispose();
    }
}
