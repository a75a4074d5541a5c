using System.Text;

namespace BackupTools.Tests.MySql;

/// <summary>
/// A database with latin1, sjis, cp932, gbk and big5 columns beside utf8mb4 ones: every stored byte and every
/// non-ASCII DDL literal must come back. Such a database is dumped in a utf8mb4 session with hex BLOBs — a
/// binary session would store the latin1 DEFAULT and ENUM members as raw utf8 bytes (and load 'größer' rows
/// as ''); a lossy session (e.g. latin1) turns the emoji, CJK and big5 bytes into '?'. Either fails here.
/// </summary>
public sealed class MySqlCharsetRoundTripTests() : MySqlCharsetTestBase(Charsets(), ["l1", "u8", "sj", "cp", "gb", "b5", "bl", "vb", "tx", "js", "bt", "en", "en1"])
{
    private const string Greeting = "Grüße 🎉 北京 表";

    private static MySqlTestDatabase Charsets()
    {
        var db = new MySqlTestDatabase(seed: false);
        // sj/cp/gb/b5: every character's second byte is 0x5C ('\'), which a byte-wise escaper or a wrong charset breaks.
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
            {{ObjectsSql(Greeting)}}
            insert into t values (1, 'Größe café', 'Zoë 😀 北京', '表能ソ', '表能ソ①', '乗俓僜', '許功蓋', unhex('{{AllBytes}}'), unhex('{{ReversedBytes}}'),
              {{EscapesSql}},
              '{"emoji": "😀", "q": "say \\"hi\\"", "path": "C:\\\\x"}', b'101000000101', 'größer', 'größer');
            insert into t(id) values (2);
            insert into t values (3, '', '', '', '', '', '', '', '', '', '[]', b'0', 'klein', 'klein');
            insert into t(id, u8) values (4, 'ñandú');
            """);
        return db;
    }

    [Fact]
    public void Every_columns_stored_bytes_in_every_character_set_survive_backup_and_restore()
    {
        var source = Bytes(Db.Name);
        // The seed itself stored what we meant (else the comparison below proves nothing).
        Assert.Contains("l1|1|4772F6DF6520636166E9", source);
        Assert.Contains("sj|1|955C945C835C", source);
        Assert.Contains("b5|1|B35CA55CBB5C", source);
        Assert.Contains("u8|1|" + Hex("Zoë 😀 北京"), source);
        Assert.Contains("bl|1|" + AllBytes, source);
        Assert.Contains("en1|1|6772F6DF6572", source);
        Assert.Contains("tx|1|" + EscapesHex, source);

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
        AssertSameDefinitionsAndBehaviour(Db.Name, RestoreCopy(), "l1", Greeting, "636166E9"); // latin1 'café'
    }

    [Fact]
    public void Non_utf8_columns_mean_a_utf8mb4_session_with_hex_blobs_which_replays_by_hand_to_the_same_bytes_and_text()
    {
        InitRepoWithKey(createCell: false);
        var record = Backup();
        Assert.Equal("utf8mb4", record.EngineInfo["dumpCharacterSet"]);
        var dump = Dump(record);
        Assert.Contains("SET NAMES utf8mb4", Head(dump));
        Assert.Contains("0x" + AllBytes, Encoding.Latin1.GetString(dump));

        var replay = Replay(dump);
        Assert.Equal(Bytes(Db.Name), Bytes(replay));
        Assert.Equal(Definitions(Db.Name), Definitions(replay));
    }
}
