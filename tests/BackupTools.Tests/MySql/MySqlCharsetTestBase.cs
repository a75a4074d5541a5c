using System.Diagnostics;
using System.Text;
using BackupTools.Core.Keys;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;

namespace BackupTools.Tests.MySql;

/// <summary>
/// Byte-exact comparisons for the character-set tests: every column of table t as hex, DDL and object text from
/// information_schema, what the objects do when run, the decrypted dump, and a replay by hand with the mariadb client.
/// </summary>
public abstract class MySqlCharsetTestBase(MySqlTestDatabase db, string[] dataColumns) : MySqlRestoreTestBase(db)
{
    protected static readonly string AllBytes = Convert.ToHexString(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray());
    protected static readonly string ReversedBytes = Convert.ToHexString(Enumerable.Range(0, 256).Select(i => (byte)(255 - i)).ToArray());

    /// <summary>A TEXT value with every character the dump tool must escape, and the literal sequences \0 and \Z.</summary>
    protected const string EscapesSql = "concat('it''s \"q\" back\\\\slash', char(10), 'cr', char(13), 'tab', char(9), 'nul', char(0), 'sub', char(26), ' literal \\\\0 and \\\\Z')";
    protected static readonly string EscapesHex = Hex("it's \"q\" back\\slash\ncr\rtab\tnul\0sub\u001a literal \\0 and \\Z");

    protected static string Hex(string utf8) => Convert.ToHexString(Encoding.UTF8.GetBytes(utf8));

    /// <summary>Objects over table t whose bodies hold non-ASCII literals: a view, a trigger (emoji), a procedure and a function.</summary>
    protected static string ObjectsSql(string greeting) => $$"""
        create table added(id int primary key auto_increment, note varchar(60) character set utf8mb4) engine=InnoDB;
        create view v_not_nandu as select id, u8, 'Größe ñ' as label from t where u8 <> 'ñandú';
        create trigger t_added after insert on t for each row insert into added(note) values (concat('neu 🚀 ', new.id));
        create procedure greet() select '{{greeting}}' as g;
        create function tag() returns varchar(20) character set utf8mb4 deterministic return '😀ß';
        """;

    /// <summary>
    /// The copy has the source's DDL text and its objects behave the same; <paramref name="defaultedColumn"/>
    /// holds a non-ASCII DEFAULT (stored as <paramref name="defaultHex"/>), so a row inserted without it shows whether that literal survived.
    /// </summary>
    protected static void AssertSameDefinitionsAndBehaviour(string source, string copy, string defaultedColumn, string greeting, string defaultHex)
    {
        Assert.Equal(Definitions(source), Definitions(copy));
        var behaviour = Behaviour(source, defaultedColumn);
        Assert.Contains(greeting, behaviour);
        Assert.Contains(Hex("neu 🚀 100"), behaviour);
        Assert.Contains(defaultHex, behaviour);
        Assert.Equal(behaviour, Behaviour(copy, defaultedColumn));
    }

    /// <summary>Every stored byte, as "column|id|hex" (NULL stays NULL, so it is told apart from empty).</summary>
    protected List<string> Bytes(string database) => MySqlTestDatabase.Column(database,
        "select * from (" + string.Join(" union all ", dataColumns.Select(c => $"select '{c}', id, hex({c}) from t")) + ") x order by 1, 2");

    /// <summary>Non-ASCII text in DDL and object bodies, with the schema name taken out of view definitions.</summary>
    protected static List<string> Definitions(string database) =>
    [
        .. MySqlTestDatabase.Column(null, $"select column_name, column_type, column_default, column_comment from information_schema.columns where table_schema = '{database}' and table_name = 't' order by ordinal_position"),
        .. MySqlTestDatabase.Column(null, $"select table_comment from information_schema.tables where table_schema = '{database}' and table_name = 't'"),
        .. MySqlTestDatabase.Column(null, $"select view_definition from information_schema.views where table_schema = '{database}'").Select(v => v.Replace(database, "DB")),
        .. MySqlTestDatabase.Column(null, $"select routine_name, routine_definition from information_schema.routines where routine_schema = '{database}' order by 1"),
        .. MySqlTestDatabase.Column(null, $"select trigger_name, action_statement from information_schema.triggers where trigger_schema = '{database}'"),
    ];

    /// <summary>What the objects do: information_schema shows emoji as '?', so only running them proves those bytes survived.</summary>
    private static List<string> Behaviour(string database, string defaultedColumn)
    {
        MySqlTestDatabase.Execute(database, "insert into t(id) values (100)");
        return
        [
            .. MySqlTestDatabase.Column(database, "select id, hex(label) from v_not_nandu order by id"),
            .. MySqlTestDatabase.Column(database, "call greet()"),
            .. MySqlTestDatabase.Column(database, "select hex(tag())"),
            .. MySqlTestDatabase.Column(database, "select hex(note) from added order by id"),
            .. MySqlTestDatabase.Column(database, $"select hex({defaultedColumn}) from t where id = 100"),
        ];
    }

    protected string RestoreCopy()
    {
        var copy = Db.Name + "_copy";
        ExtraDatabases.Add(copy);
        My($"Restore-MySql -Database $db -TargetDatabase $copy {Conn} -Repository $repo -KeyFile $key -Confirm:$false", ("copy", copy)).AssertNoErrors();
        return copy;
    }

    /// <summary>The backup's decrypted, verified dump.</summary>
    protected byte[] Dump(BackupRecord record)
    {
        var repository = BackupRepository.Open(new LocalBackupStore(Repo));
        var keys = BackupKeyRing.Load(new KeySources([KeyPath], [], false));
        using var data = repository.OpenObject(repository.GetManifest(record.Id), "data", keys);
        var bytes = new MemoryStream();
        data.CopyTo(bytes);
        data.VerifyToEnd();
        return bytes.ToArray();
    }

    protected static string Head(byte[] dump) => Encoding.Latin1.GetString(dump, 0, Math.Min(dump.Length, 4096));

    /// <summary>Pipes the dump into a new database with the plain mariadb client, as someone restoring by hand would.</summary>
    protected string Replay(byte[] dump)
    {
        var target = Db.Name + "_replay";
        ExtraDatabases.Add(target);
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
        return target;
    }
}
