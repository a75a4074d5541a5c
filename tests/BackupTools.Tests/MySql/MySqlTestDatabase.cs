using System.Text;
using BackupTools.Tests.Servers;
using MySqlConnector;

namespace BackupTools.Tests.MySql;

/// <summary>A throwaway MariaDB database seeded like a real sharded application schema.</summary>
public sealed class MySqlTestDatabase : IDisposable
{
    public MySqlTestDatabase(bool seed = true)
    {
        Name = "bt_" + Guid.NewGuid().ToString("N")[..10];
        Execute(null, $"create database {Name} character set utf8mb4");
        if (seed) Seed();
    }

    public string Name { get; }
    public static MySqlServer Server => TestServers.MySql;

    public void Execute(string sql) => Execute(Name, sql);

    public static void Execute(string? database, string sql)
    {
        using var connection = new MySqlConnection(Server.ConnectionString(database) + ";AllowUserVariables=true");
        connection.Open();
        using var command = new MySqlCommand(sql, connection) { CommandTimeout = 300 };
        command.ExecuteNonQuery();
    }

    public static List<string> Column(string? database, string sql)
    {
        using var connection = new MySqlConnection(Server.ConnectionString(database));
        connection.Open();
        using var command = new MySqlCommand(sql, connection);
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read()) values.Add(string.Join("|", Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "NULL" : reader.GetValue(i).ToString())));
        return values;
    }

    private void Seed()
    {
        var sql = new StringBuilder();
        for (var i = 0; i < 120; i++)
            sql.Append($"create table orders_{i}(id int primary key auto_increment, customer varchar(64), amount decimal(10,2), note text) engine=InnoDB;" +
                       $"insert into orders_{i}(customer, amount, note) values ('c{i}', {i}.50, 'order of shard {i} 🚀'), ('d{i}', 1.25, null);");
        Execute(sql.ToString());
        Execute("""
            create table customers(id int primary key auto_increment, name varchar(100) character set utf8mb4, avatar blob, created datetime(6)) engine=InnoDB;
            insert into customers(name, avatar, created) values ('Zoë 😀 北京', x'89504e470d0a1a0a00ff10', now(6)), ('plain', null, now(6));
            create table events_log(id bigint primary key auto_increment, payload varchar(200)) engine=InnoDB;
            create table legacy_counter(id int primary key, hits int) engine=MyISAM;
            insert into legacy_counter values (1, 42);
            create view order_totals as select 'orders_0' as shard, sum(amount) as total from orders_0;
            create view a_view_on_a_view as select total * 2 as doubled from order_totals;
            create function shard_of(id int) returns int deterministic return id % 120;
            create procedure touch_customer(in cid int) update customers set created = now(6) where id = cid;
            create trigger customers_log after insert on customers for each row insert into events_log(payload) values (concat('new customer ', new.id));
            create event nightly_cleanup on schedule every 1 day do delete from events_log where id < 0;
            """);
        Execute("""
            set session max_recursive_iterations = 200000;
            insert into events_log(payload)
            with recursive seq(n) as (select 1 union all select n + 1 from seq where n < 100000)
            select concat('event ', n, ' ', md5(n)) from seq;
            """);
    }

    /// <summary>Row count and CHECKSUM TABLE of every base table plus the routines, triggers, events and views present (one connection, few round trips).</summary>
    public static string Fingerprint(string database)
    {
        using var connection = new MySqlConnection(Server.ConnectionString(database));
        connection.Open();
        List<string> Rows(string sql)
        {
            using var command = new MySqlCommand(sql, connection) { CommandTimeout = 300 };
            using var reader = command.ExecuteReader();
            var values = new List<string>();
            while (reader.Read()) values.Add(string.Join("|", Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "NULL" : reader.GetValue(i).ToString())));
            return values;
        }
        var tables = Rows($"select table_name from information_schema.tables where table_schema = '{database}' and table_type = 'BASE TABLE' order by table_name");
        var text = new StringBuilder();
        if (tables.Count > 0)
        {
            var counts = Rows(string.Join(" union all ", tables.Select(t => $"select '{t}', count(*) from `{t}`"))).ToDictionary(r => r.Split('|')[0], r => r.Split('|')[1]);
            var sums = Rows("checksum table " + string.Join(", ", tables.Select(t => $"`{t}`"))).ToDictionary(r => r.Split('|')[0][(database.Length + 1)..], r => r.Split('|')[1]);
            foreach (var table in tables) text.AppendLine($"{table}: {counts[table]} {sums[table]}");
        }
        text.AppendLine(string.Join(",", Rows($"select routine_name from information_schema.routines where routine_schema = '{database}' order by 1")));
        text.AppendLine(string.Join(",", Rows($"select trigger_name from information_schema.triggers where trigger_schema = '{database}' order by 1")));
        text.AppendLine(string.Join(",", Rows($"select event_name from information_schema.events where event_schema = '{database}' order by 1")));
        text.AppendLine(string.Join(",", Rows($"select table_name from information_schema.views where table_schema = '{database}' order by 1")));
        return text.ToString();
    }

    public static void Drop(string database) => Execute(null, $"drop database if exists `{database}`");

    public void Dispose() => Drop(Name);
}
