using System.Globalization;
using System.Management.Automation;
using BackupTools.Core.Engines.MySqlPhysical;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.MySqlPitr;

/// <summary>
/// Issue 18's physical hot backups against real MariaDB servers: a source with the binlog archived, and a second server
/// whose data directory the restore replaces while it is stopped (its start command then brings it back).
/// </summary>
[Collection("servers")]
public sealed class PhysicalBackupTests : IDisposable
{
    private const string Cell = "physical-test";
    private readonly TempDir _temp = new();
    private readonly PsSession _ps = new();
    private readonly ArchivingMariaDb _source;
    private readonly ArchivingMariaDb _target;

    public PhysicalBackupTests()
    {
        _source = new ArchivingMariaDb(_temp.Sub("source"));
        try
        {
            _target = new ArchivingMariaDb(_temp.Sub("target"));
            Run("Initialize-BackupRepository -Format v1 -Path $repo | Out-Null; New-BackupKey -Path $key | Out-Null").AssertNoErrors();
            _source.Execute("create database shop");
            _source.Execute("create table shop.ledger(id int primary key, at datetime(6) not null default now(6))");
            _target.Execute("create database only_on_target");
        }
        catch
        {
            _target?.Dispose();
            _source.Dispose();
            throw;
        }
    }

    private PsResult Run(string script) => _ps.Run(script, new Dictionary<string, object?>
    {
        ["repo"] = _temp.Sub("repo"), ["key"] = _temp.Sub("main.key"), ["port"] = _source.Port, ["tport"] = _target?.Port, ["spool"] = _temp.Sub("spool"),
        ["cell"] = Cell, ["datadir"] = _target?.DataDir, ["start"] = _target?.StartCommandLine,
        ["cred"] = new PSCredential("root", new System.Net.NetworkCredential("", ArchivingMariaDb.Password).SecurePassword),
    });

    private const string Connection = "-Repository $repo -KeyFile $key -Server 127.0.0.1 -Port $port -Credential $cred";
    private const string Restore = "Restore-MySqlPhysical -DataDirectory $datadir -Repository $repo -KeyFile $key -Confirm:$false";

    private void Commit(int from, int to)
    {
        for (var i = from; i <= to; i++) _source.Execute($"insert into shop.ledger(id) values ({i})");
    }

    private static IEnumerable<string> Ids(int from, int to) => Enumerable.Range(from, to - from + 1).Select(i => i.ToString(CultureInfo.InvariantCulture));

    private string[] LeftBeside() => Directory.GetDirectories(Path.GetDirectoryName(_target.DataDir)!, "data.bt-*");

    private BackupRecord BackUp() => Run($"Backup-MySqlPhysical -Cell $cell {Connection}").AssertNoErrors().Single<BackupRecord>();

    [Fact]
    public void Physical_backup_replaces_a_stopped_servers_data_and_replays_the_binlog_to_a_second_between_two_commits()
    {
        Commit(1, 10);
        var backup = BackUp();
        Assert.Equal("mysql-physical", backup.Engine);
        Assert.NotNull(backup.EngineInfo?["binlogFile"]);
        Run("Test-BackupIntegrity -Id $id -Repository $repo -KeyFile $key".Replace("$id", backup.Id)).AssertNoErrors();
        Commit(11, 20);
        var now = DateTimeOffset.UtcNow;
        var at = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, now.Second, TimeSpan.Zero).AddSeconds(1);
        Thread.Sleep(at - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(300));
        Commit(21, 30);
        Run($"Push-MySqlBinlog -Spool $spool -Cell $cell {Connection}").AssertNoErrors();
        _target.Stop();

        var result = Run($"{Restore} -Id {backup.Id} -BinlogCell $cell -At '{at:O}' -StartCommand $start -Server 127.0.0.1 -Port $tport -Credential $cred")
            .AssertNoErrors().Single<MySqlPhysicalRestoreResult>();

        Assert.True(result.Started);
        Assert.Equal(20, result.RowCounts["shop.ledger"]);
        Assert.Equal(Ids(1, 20), _target.Column("select id from shop.ledger order by id"));
        Assert.DoesNotContain("only_on_target", _target.Column("show databases"));
        // The replaced directory went once the server answered; no staging copy is left either.
        Assert.Null(result.PreviousDataDirectory);
        Assert.Empty(LeftBeside());
    }

    [Fact]
    public void The_newest_physical_backup_of_a_cell_replays_through_a_gtid()
    {
        Commit(1, 10);
        BackUp();
        Commit(11, 20);
        var gtid20 = _source.Column("select @@gtid_binlog_pos").Single();
        Commit(21, 30);
        Run($"Push-MySqlBinlog -Spool $spool -Cell $cell {Connection}").AssertNoErrors();
        _target.Stop();

        var result = Run($"{Restore} -Cell $cell -BinlogCell $cell -Gtid '{gtid20}'").AssertNoErrors().Single<MySqlPhysicalRestoreResult>();

        Assert.Contains($"through GTID {gtid20}", result.BinlogReplayed, StringComparison.Ordinal);
        _target.Start();
        Assert.Equal(Ids(1, 20), _target.Column("select id from shop.ledger order by id"));
    }

    [Fact]
    public void Without_a_start_command_the_replaced_data_directory_is_kept_beside_the_restored_one()
    {
        Commit(1, 5);
        var backup = BackUp();
        _target.Stop();

        var result = Run($"{Restore} -Id {backup.Id}").AssertNoErrors();
        var restored = result.Single<MySqlPhysicalRestoreResult>();
        Assert.False(restored.Started);
        Assert.NotNull(restored.PreviousDataDirectory);
        Assert.True(Directory.Exists(Path.Combine(restored.PreviousDataDirectory!, "only_on_target")));
        Assert.Contains(result.Warnings, w => w.Contains(restored.PreviousDataDirectory!, StringComparison.Ordinal));
        _target.Start();
        Assert.Equal(Ids(1, 5), _target.Column("select id from shop.ledger order by id"));
    }

    [Fact]
    public void A_damaged_physical_backup_is_caught_before_the_swap_and_the_stopped_servers_data_is_untouched()
    {
        Commit(1, 5);
        var backup = BackUp();
        var data = Path.Combine(_temp.Sub("repo"), "backups", backup.Id, "data");
        using (var f = new FileStream(data, FileMode.Open)) { f.Position = f.Length / 2; var b = f.ReadByte(); f.Position--; f.WriteByte((byte)(b ^ 0xFF)); }
        Run("Test-BackupIntegrity -Id $id -Repository $repo -KeyFile $key".Replace("$id", backup.Id)).AssertError("BackupIntegrityCheckFailed");
        _target.Stop();

        Assert.NotEmpty(Run($"{Restore} -Id {backup.Id}").Errors);

        Assert.Empty(LeftBeside());
        _target.Start();
        Assert.Contains("only_on_target", _target.Column("show databases"));
    }

    [Fact]
    public void The_mbstream_validator_passes_the_real_stream_and_names_a_flipped_byte_or_a_cut_stream()
    {
        Commit(1, 5);
        var backup = BackUp();
        var repository = new BackupTools.Core.Repository.RepositoryReference(_temp.Sub("repo")).Open();
        var manifest = repository.GetManifest(backup.Id);
        var keys = BackupTools.Core.Keys.BackupKeyRing.Load(new BackupTools.Core.Keys.KeySources([_temp.Sub("main.key")], [], false));
        using var raw = new MemoryStream();
        using (var data = repository.OpenObject(manifest, BackupTools.Core.Repository.BackupManifest.DataRole, keys)) { data.CopyTo(raw); data.VerifyToEnd(); }
        var bytes = raw.ToArray();
        var validator = new MbstreamValidator();
        Assert.Contains("every chunk matching its CRC-32", validator.Validate(new MemoryStream(bytes), manifest), StringComparison.Ordinal);

        var flipped = (byte[])bytes.Clone();
        flipped[bytes.Length / 2] ^= 0x01;
        var damaged = Assert.Throws<BackupTools.Core.Errors.BackupIntegrityException>(() => validator.Validate(new MemoryStream(flipped), manifest));
        Assert.Equal("MySqlPhysicalDamaged", damaged.ErrorId);
        var cut = Assert.Throws<BackupTools.Core.Errors.BackupIntegrityException>(() => validator.Validate(new MemoryStream(bytes[..(bytes.Length - 100)]), manifest));
        Assert.Equal("MySqlPhysicalDamaged", cut.ErrorId);
    }

    [Fact]
    public void A_running_server_is_refused_and_nothing_changes()
    {
        var backup = BackUp();
        Run($"{Restore} -Id {backup.Id}").AssertError("MySqlServerRunning");
        Assert.Empty(LeftBeside());
        Assert.Contains("only_on_target", _target.Column("show databases"));
    }

    public void Dispose()
    {
        _target?.Dispose();
        _source.Dispose();
        _ps.Dispose();
        _temp.Dispose();
    }
}
