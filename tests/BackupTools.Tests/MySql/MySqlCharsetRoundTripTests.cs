using System.Diagnostics;
using System.Text;
using BackupTools.Core.Keys;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;

namespace BackupTools.Tests.MySql;

/// <summary>
/// Backup-MySql dumps in a binary-charset session: every column's stored bytes must come back exactly, in any
/// character set, and DDL/view/routine text must keep its non-ASCII literals. A lossy session charset (e.g.
/// --default-character-set=latin1) turns the emoji, CJK and sjis/gbk/big5 bytes below into '?', so these fail.
/// </summary>
public sealed class MySqlCharsetRoundTripTests() : MySqlRestoreTestBase(Charsets())
{
    private static readonly string AllBytes = Convert.ToHexString(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray());
    private static readonly string[] DataColumns = ["l1", "u8", "sj", "cp", "gb", "b5", "bl", "vb", "tx", "js", "bt", "en", "en1"];

    private static MySqlTestDatabase Charsets()
    {
        var db = new MySqlTestDatabase(seed: false);
        var reversed = Convert.ToHexString(Enumerable.Range(0, 256).Select(i => (byte)(255 - i)).ToArray());
        // sj/cp/gb/b5: every character's second byte is 0x5C ('\'), which a byte-wise escaper or a wrong charset breaks.
        // l1's DEFAULT and en1's members are non-ASCII literals of a non-utf8 column: the replayed CREATE TABLE must
        // convert them from its client charset, and rows whose value no longer matches an ENUM member load as ''.
        db.Execute($$"""
            create table t(
              id int primary key,
              l1 varchar(40) character set latin1 default 'café' comment 'Größe in €',
              u8 varchar(40) character set utf8mb4,
              sj varchar(40) character set sjis,
              cp varchar(40) character set cp932,
              gb varchar(40) character set gbk,
              b5 varchar(40) character set big5,
              bl blob,
              vb varbinary(256),
              tx text character set utf8mb4,
              js json,
              bt bit(12),
              en enum('klein', 'größer') character set utf8mb4,
              en1 enum('klein', 'größer') character set latin1
            ) engine=InnoDB comment 'Tabelle für €';
            create table added(id int primary key auto_increment, note varchar(60) character set utf8mb4) engine=InnoDB;
            create view v_not_nandu as select id, u8, 'Größe ñ' as label from t where u8 <> 'ñandú';
            create trigger t_added after insert on t for each row insert into added(note) values (concat('neu 🚀 ', new.id));
            create procedure greet() select 'Grüße 🎉 北京 表' as g;
            create function tag() returns varchar(20) character set utf8mb4 deterministic return '😀ß';
            insert into t values (1, 'Größe café', 'Zoë 😀 北京', '表能ソ', '表能ソ①', '乗俓僜', '許功蓋', unhex('{{AllBytes}}'), unhex('{{reversed}}'),
              concat('it''s "q" back\\slash', char(10), 'cr', char(13), 'tab', char(9), 'nul', char(0), 'sub', char(26), ' literal \\0 and \\Z'),
              '{"emoji": "😀", "q": "say \\"hi\\"", "path": "C:\\\\x"}', b'101000000101', 'größer', 'größer');
            insert into t(id) values (2);
            insert into t values (3, '', '', '', '', '', '', '', '', '', '[]', b'0', 'klein', 'klein');
            insert into t(id, u8) values (4, 'ñandú');
            """);
        return db;
    }

    /// <summary>Every stored byte, as "column|id|hex" (NULL stays NULL, so it is told apart from empty).</summary>
    private static List<string> Bytes(string database) => MySqlTestDatabase.Column(database,
        "select * from (" + string.Join(" union all ", DataColumns.Select(c => $"select '{c}', id, hex({c}) from t")) + ") x order by 1, 2");

    /// <summary>Non-ASCII text in DDL and object bodies, with the schema name taken out of view definitions.</summary>
    private static List<string> Definitions(string database) =>
    [
        .. MySqlTestDatabase.Column(null, $"select column_name, column_type, column_default, column_comment from information_schema.columns where table_schema = '{database}' and table_name = 't' order by ordinal_position"),
        .. MySqlTestDatabase.Column(null, $"select table_comment from information_schema.tables where table_schema = '{database}' and table_name = 't'"),
        .. MySqlTestDatabase.Column(null, $"select view_definition from information_schema.views where table_schema = '{database}'").Select(v => v.Replace(database, "DB")),
        .. MySqlTestDatabase.Column(null, $"select routine_name, routine_definition from information_schema.routines where routine_schema = '{database}' order by 1"),
        .. MySqlTestDatabase.Column(null, $"select trigger_name, action_statement from information_schema.triggers where trigger_schema = '{database}'"),
    ];

    /// <summary>What the objects do: information_schema shows emoji as '?', so only running them proves those bytes survived.</summary>
    private static List<string> Behaviour(string database)
    {
        MySqlTestDatabase.Execute(database, "insert into t(id) values (100)");
        return
        [
            .. MySqlTestDatabase.Column(database, "select id, hex(label) from v_not_nandu order by id"),
            .. MySqlTestDatabase.Column(database, "call greet()"),
            .. MySqlTestDatabase.Column(database, "select hex(tag())"),
            .. MySqlTestDatabase.Column(database, "select hex(note) from added order by id"),
            .. MySqlTestDatabase.Column(database, "select hex(l1) from t where id = 100"),
        ];
    }

    private string RestoreCopy()
    {
        var copy = Db.Name + "_copy";
        ExtraDatabases.Add(copy);
        My($"Restore-MySql -Database $db -TargetDatabase $copy {Conn} -Repository $repo -KeyFile $key -Confirm:$false", ("copy", copy)).AssertNoErrors();
        return copy;
    }

    [Fact]
    public void Every_columns_stored_bytes_in_every_character_set_survive_backup_and_restore()
    {
        var source = Bytes(Db.Name);
        // The seed itself stored what we meant (else the comparison below proves nothing).
        Assert.Contains("l1|1|4772F6DF6520636166E9", source);
        Assert.Contains("sj|1|955C945C835C", source);
        Assert.Contains("b5|1|B35CA55CBB5C", source);
        Assert.Contains("u8|1|" + Convert.ToHexString(Encoding.UTF8.GetBytes("Zoë 😀 北京")), source);
        Assert.Contains("bl|1|" + AllBytes, source);
        Assert.Contains("en1|1|6772F6DF6572", source);
        Assert.Contains("tx|1|" + Convert.ToHexString(Encoding.UTF8.GetBytes("it's \"q\" back\\slash\ncr\rtab\tnul\0sub\u001a literal \\0 and \\Z")), source);

        InitRepoWithKey(createCell: false);
        var integrity = My($"Backup-MySql -Database $db {Conn} -Repository $repo -KeyFile $key | Test-BackupIntegrity -KeyFile $key")
            .AssertNoErrors().Single<IntegrityResult>();
        Assert.True(integrity.Passed, string.Join("; ", integrity.Checks));

        Assert.Equal(source, Bytes(RestoreCopy()));
    }

    [Fact]
    public void Comments_defaults_enum_members_views_triggers_and_routines_keep_their_non_ASCII_text()
    {
        var source = Definitions(Db.Name);
        Assert.Contains("l1|varchar(40)|'café'|Größe in €", source);
        Assert.Contains("en1|enum('klein','größer')|NULL|", source);
        InitRepoWithKey(createCell: false);
        Backup();
        var copy = RestoreCopy();

        Assert.Equal(source, Definitions(copy));
        var behaviour = Behaviour(Db.Name);
        Assert.Contains("Grüße 🎉 北京 表", behaviour);
        Assert.Contains(Convert.ToHexString(Encoding.UTF8.GetBytes("neu 🚀 100")), behaviour);
        Assert.Equal(behaviour, Behaviour(copy));
    }

    [Fact]
    public void The_dump_is_a_binary_session_and_replays_by_hand_to_the_same_bytes_and_text()
    {
        InitRepoWithKey(createCell: false);
        var record = Backup();
        var dump = Dump(record);
        Assert.Contains("SET NAMES binary", Encoding.Latin1.GetString(dump, 0, Math.Min(dump.Length, 4096)));

        var replay = Db.Name + "_replay";
        ExtraDatabases.Add(replay);
        Replay(dump, replay);
        Assert.Equal(Bytes(Db.Name), Bytes(replay));
        Assert.Equal(Definitions(Db.Name), Definitions(replay));
    }

    /// <summary>The backup's decrypted, verified dump.</summary>
    private byte[] Dump(BackupRecord record)
    {
        var repository = BackupRepository.Open(new LocalBackupStore(Repo));
        var keys = BackupKeyRing.Load(new KeySources([KeyPath], [], false));
        using var data = repository.OpenObject(repository.GetManifest(record.Id), "data", keys);
        var bytes = new MemoryStream();
        data.CopyTo(bytes);
        data.VerifyToEnd();
        return bytes.ToArray();
    }

    /// <summary>Pipes the dump into a new database with the plain mariadb client, as someone restoring by hand would.</summary>
    private static void Replay(byte[] dump, string target)
    {
        MySqlTestDatabase.Execute(null, $"create database {target} character set utf8mb4");
        var psi = new ProcessStartInfo("mariadb") { RedirectStandardInput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--protocol=tcp", "-h", Server.Host, "-P", Server.Port.ToString(), "-u", Server.User, target }) psi.ArgumentList.Add(a);
        psi.Environment["MYSQL_PWD"] = Server.Password;
        using var client = Process.Start(psi)!;
        client.StandardInput.BaseStream.Write(dump);
        client.StandardInput.Close();
        var errors = client.StandardError.ReadToEnd();
        client.WaitForExit();
        Assert.True(client.ExitCode == 0, errors);
    }
}
