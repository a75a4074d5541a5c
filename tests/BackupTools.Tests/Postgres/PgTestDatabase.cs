using System.Text;
using BackupTools.Tests.Servers;
using Npgsql;

namespace BackupTools.Tests.Postgres;

/// <summary>A throwaway database on the real test server, seeded with the awkward parts of PostgreSQL.</summary>
public sealed class PgTestDatabase : IDisposable
{
    public PgTestDatabase(bool seed = true)
    {
        Name = "bt_" + Guid.NewGuid().ToString("N")[..10];
        Execute("postgres", $"create database {Name}");
        if (seed) Seed();
    }

    public string Name { get; }
    public static PostgresServer Server => TestServers.Postgres;

    public void Execute(string sql) => Execute(Name, sql);

    public static void Execute(string database, string sql)
    {
        using var connection = new NpgsqlConnection(Server.ConnectionString(database));
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    public static object? Scalar(string database, string sql)
    {
        using var connection = new NpgsqlConnection(Server.ConnectionString(database));
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        return command.ExecuteScalar();
    }

    private void Seed() => Execute("""
        create schema sales;
        create schema audit;
        create sequence sales.invoice_no start 1000 increment 7;
        create table sales.customers(id serial primary key, name text not null, profile jsonb, created timestamptz default now());
        create table sales.invoices(id bigint primary key default nextval('sales.invoice_no'), customer int references sales.customers(id),
            amount numeric(12,2), notes text, doc oid);
        create table audit.log(id bigserial primary key, at timestamptz default now(), what text);
        create function audit.log_invoice() returns trigger language plpgsql as $$
          begin insert into audit.log(what) values ('invoice ' || new.id); return new; end $$;
        create trigger invoices_audit after insert on sales.invoices for each row execute function audit.log_invoice();
        create view sales.big_customers as select c.name, sum(i.amount) total from sales.customers c join sales.invoices i on i.customer = c.id group by c.name;
        insert into sales.customers(name, profile)
          select 'customer ' || g || ' ✓ ü', jsonb_build_object('tier', g % 5, 'tags', jsonb_build_array('a', md5(g::text)))
          from generate_series(1, 2000) g;
        insert into sales.invoices(customer, amount, notes)
          select 1 + (g % 2000), round((random() * 10000)::numeric, 2), repeat(md5(g::text), 3) from generate_series(1, 20000) g;
        update sales.invoices set doc = lo_from_bytea(0, convert_to('large object for invoice ' || id, 'UTF8')) where id % 5000 = 0;
        """);

    /// <summary>Row count and md5 of each table's ordered contents, sequence states, and object definitions.</summary>
    public static string Fingerprint(string database)
    {
        using var connection = new NpgsqlConnection(Server.ConnectionString(database));
        connection.Open();
        var text = new StringBuilder();
        foreach (var table in new[] { "sales.customers", "sales.invoices", "audit.log" })
        {
            using var command = new NpgsqlCommand($"select count(*), md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from {table} t", connection);
            using var reader = command.ExecuteReader();
            reader.Read();
            text.AppendLine($"{table}: {reader.GetInt64(0)} {reader.GetString(1)}");
        }
        foreach (var sql in new[]
        {
            "select last_value || ',' || is_called from sales.invoice_no",
            "select string_agg(convert_from(lo_get(doc), 'UTF8'), ',' order by id) from sales.invoices where doc is not null",
            "select pg_get_viewdef('sales.big_customers')",
            "select md5(pg_get_functiondef('audit.log_invoice'::regproc))",
            "select string_agg(tgname, ',') from pg_trigger where not tgisinternal",
        })
        {
            using var command = new NpgsqlCommand(sql, connection);
            text.AppendLine(command.ExecuteScalar()?.ToString());
        }
        return text.ToString();
    }

    public static bool Exists(string database) => (long)Scalar("postgres", $"select count(*) from pg_database where datname = '{database}'")! > 0;

    public static void Drop(string database)
    {
        Execute("postgres", $"select pg_terminate_backend(pid) from pg_stat_activity where datname = '{database}' and pid <> pg_backend_pid()");
        Execute("postgres", $"drop database if exists {database}");
    }

    public void Dispose() => Drop(Name);
}
