using BackupTools.Core.Errors;
using MySqlConnector;

namespace BackupTools.Core.Engines.MySql;

/// <summary>Where and as whom to connect to MySQL/MariaDB. The password goes to tools only in a private defaults file.</summary>
public sealed record MySqlTarget(string Host, int Port, string User, string? Password)
{
    public const int DefaultPort = 3306;

    public static MySqlTarget From(string? connectionString, string? server, int? port, string? user, string? password)
    {
        if (!string.IsNullOrEmpty(connectionString))
        {
            MySqlConnectionStringBuilder builder;
            try { builder = new MySqlConnectionStringBuilder(connectionString); }
            catch (ArgumentException e)
            {
                throw new BackupInputException("MySqlConnectionStringInvalid", "ConnectionString", $"is not a valid connection string ({e.Message.Split('\n')[0]}).", "Use the form Server=…;Port=…;User ID=…;Password=….");
            }
            return new MySqlTarget(string.IsNullOrEmpty(builder.Server) ? "localhost" : builder.Server, (int)builder.Port,
                string.IsNullOrEmpty(builder.UserID) ? user ?? Environment.UserName : builder.UserID, string.IsNullOrEmpty(builder.Password) ? password : builder.Password);
        }
        var portValue = port ?? DefaultPort;
        if (portValue is < 1 or > 65535) throw new BackupInputException("MySqlPortInvalid", "Port", $"{portValue} is not a TCP port.", "Use 1-65535 (MySQL's default is 3306).");
        return new MySqlTarget(server ?? "localhost", portValue, user ?? Environment.UserName, password);
    }

    public string ConnectionString(string? database = null) => new MySqlConnectionStringBuilder
    {
        Server = Host,
        Port = (uint)Port,
        UserID = User,
        Password = Password ?? "",
        Database = database ?? "",
        Pooling = false,
        ConnectionTimeout = 15,
        DefaultCommandTimeout = 0,
        AllowUserVariables = true,
    }.ConnectionString;

    public string Describe(string database) => $"mysql://{User}@{Host}:{Port}/{database}";

    /// <summary>Never the password: records print their members, and this one may end up in a log.</summary>
    public override string ToString() => $"mysql://{User}@{Host}:{Port}";

    /// <summary>The [client] section mysqldump/mariadb read with --defaults-extra-file (passed first).</summary>
    public string DefaultsFileContent() =>
        $"[client]\nhost={Host}\nport={Port}\nuser={Escape(User)}\n" + (Password is null ? "" : $"password={Escape(Password)}\n");

    private static string Escape(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
