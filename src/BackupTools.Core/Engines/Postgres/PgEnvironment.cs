using BackupTools.Core.Engines.External;

namespace BackupTools.Core.Engines.Postgres;

/// <summary>
/// The environment pg_* tools run with: host, port and user as PG* variables and the password in a
/// private temp passfile (PGPASSFILE) — never on the command line, where `ps` would show it.
/// </summary>
public sealed class PgEnvironment : IDisposable
{
    private readonly PrivateTempFile? _passfile;

    public PgEnvironment(PostgresTarget target)
    {
        Variables = new Dictionary<string, string>
        {
            ["PGHOST"] = target.Host,
            ["PGPORT"] = target.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["PGUSER"] = target.User,
            ["PGAPPNAME"] = "BackupTools",
            ["PGCONNECT_TIMEOUT"] = "15",
        };
        if (target.Password != null)
        {
            _passfile = new PrivateTempFile($"*:*:*:*:{Escape(target.Password)}\n", ".pgpass");
            Variables["PGPASSFILE"] = _passfile.FilePath;
        }
        Variables["PGPASSWORD"] = ""; // an inherited PGPASSWORD must not override the passfile
    }

    public Dictionary<string, string> Variables { get; }

    public Dictionary<string, string> For(string database) => new(Variables) { ["PGDATABASE"] = database };

    private static string Escape(string value) => value.Replace("\\", "\\\\").Replace(":", "\\:");

    public void Dispose() => _passfile?.Dispose();
}
