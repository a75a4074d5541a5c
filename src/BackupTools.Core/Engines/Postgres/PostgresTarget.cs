using BackupTools.Core.Errors;
using Npgsql;

namespace BackupTools.Core.Engines.Postgres;

/// <summary>
/// Where and as whom to connect. Built from -ConnectionString or -Server/-Port/-Credential, falling back
/// to the usual PGHOST/PGPORT/PGUSER/PGPASSWORD environment; with no password, .pgpass applies (both for
/// Npgsql and the pg_* tools). The password lives only here and in a private passfile for child tools.
/// </summary>
public sealed record PostgresTarget(string Host, int Port, string User, string? Password)
{
    public const int DefaultPort = 5432;

    public static PostgresTarget From(string? connectionString, string? server, int? port, string? user, string? password)
    {
        if (!string.IsNullOrEmpty(connectionString))
        {
            NpgsqlConnectionStringBuilder builder;
            try { builder = new NpgsqlConnectionStringBuilder(connectionString); }
            catch (ArgumentException e)
            {
                throw new BackupInputException("PostgresConnectionStringInvalid", "ConnectionString", $"is not a valid connection string ({e.Message.Split('\n')[0]}).", "Use the form Host=…;Port=…;Username=…;Database=….");
            }
            return new PostgresTarget(builder.Host ?? Env("PGHOST") ?? "localhost", builder.Port, builder.Username ?? user ?? Env("PGUSER") ?? Environment.UserName,
                builder.Password ?? password ?? Env("PGPASSWORD"));
        }
        var portValue = port ?? (int.TryParse(Env("PGPORT"), out var p) ? p : DefaultPort);
        if (portValue is < 1 or > 65535) throw new BackupInputException("PostgresPortInvalid", "Port", $"{portValue} is not a TCP port.", "Use 1-65535 (PostgreSQL's default is 5432).");
        return new PostgresTarget(server ?? Env("PGHOST") ?? "localhost", portValue, user ?? Env("PGUSER") ?? Environment.UserName, password ?? Env("PGPASSWORD"));
    }

    public string Describe(string database) => $"postgres://{User}@{Host}:{Port}/{database}";

    /// <summary>Never the password: records print their members, and this one may end up in a log.</summary>
    public override string ToString() => $"postgres://{User}@{Host}:{Port}";

    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = Host,
        Port = Port,
        Username = User,
        Password = Password,
        Database = database,
        Pooling = false,
        Timeout = 15,
        CommandTimeout = 0,
        ApplicationName = "BackupTools",
    }.ConnectionString;

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
}
