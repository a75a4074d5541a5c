using System.Text;

namespace BackupTools.Tests.MySql;

/// <summary>
/// A database whose text columns are all utf8mb4/utf8mb3/ascii is dumped in a binary session (no conversion,
/// BLOBs unhexed, the dump tool a third cheaper): stored bytes, non-ASCII DEFAULT/ENUM/SET literals, comments,
/// views, triggers and routines must all come back exactly, through Restore-MySql and a replay by hand.
/// </summary>
public sealed class MySqlBinarySessionTests() : MySqlCharsetTestBase(Utf8Only(), ["u8", "u3", "a7", "bl", "vb", "tx", "js", "bt", "en", "st"])
{
    private const string Greeting = "Grüße 🎉 北京";

    private static MySqlTestDatabase Utf8Only()
    {
        var db = new MySqlTestDatabase(seed: false);
        db.Execute($$"""
            create table t(
              id int primary key,
              u8 varchar(40) character set utf8mb4 default 'café 北' comment 'Größe in €',
              u3 varchar(40) character set utf8mb3,
              a7 varchar(40) character set ascii,
              bl blob,
              vb varbinary(256),
              tx text character set utf8mb4,
              js json,
              bt bit(12),
              en enum('klein', 'größer') character set utf8mb4,
              st set('ä', 'ö', '北') character set utf8mb4
            ) engine=InnoDB comment 'Tabelle für €';
            {{ObjectsSql(Greeting)}}
            insert into t values (1, 'Zoë 😀 北京', 'Größe', 'plain', unhex('{{AllBytes}}'), unhex('{{ReversedBytes}}'),
              {{EscapesSql}},
              '{"emoji": "😀", "q": "say \\"hi\\"", "path": "C:\\\\x"}', b'101000000101', 'größer', 'ä,北');
            insert into t(id) values (2);
            insert into t values (3, '', '', '', '', '', '', '[]', b'0', 'klein', '');
            insert into t(id, u8) values (4, 'ñandú');
            """);
        return db;
    }

    [Fact]
    public void A_utf8_only_database_is_dumped_in_a_binary_session_and_every_byte_and_literal_comes_back()
    {
        var bytes = Bytes(Db.Name);
        Assert.Contains("bl|1|" + AllBytes, bytes);
        Assert.Contains("tx|1|" + EscapesHex, bytes);
        Assert.Contains("st|1|" + Hex("ä,北"), bytes);
        var definitions = Definitions(Db.Name);
        // (Not an emoji here: MariaDB's SHOW CREATE TABLE itself prints 4-byte characters in DDL as '?', in any session.)
        Assert.Contains("u8|varchar(40)|'café 北'|Größe in €", definitions);

        InitRepoWithKey(createCell: false);
        var record = Backup();
        Assert.Equal("binary", record.EngineInfo["dumpCharacterSet"]);
        var dump = Dump(record);
        Assert.Contains("SET NAMES binary", Head(dump));
        Assert.DoesNotContain("0x" + AllBytes, Encoding.Latin1.GetString(dump));

        var copy = RestoreCopy();
        Assert.Equal(bytes, Bytes(copy));
        AssertSameDefinitionsAndBehaviour(Db.Name, copy, "u8", Greeting, Hex("café 北"));
    }

    [Fact]
    public void A_binary_session_dump_replays_by_hand_to_the_same_bytes_and_text()
    {
        InitRepoWithKey(createCell: false);
        var replay = Replay(Dump(Backup()));
        Assert.Equal(Bytes(Db.Name), Bytes(replay));
        Assert.Equal(Definitions(Db.Name), Definitions(replay));
    }
}
