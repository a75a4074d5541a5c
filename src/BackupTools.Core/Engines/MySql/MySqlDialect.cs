using BackupTools.Core.Errors;

namespace BackupTools.Core.Engines.MySql;

/// <summary>
/// Every place MariaDB and MySQL (5.7, 8.0, 8.4) differ for us, kept in this one small adapter and decided
/// from version strings alone, so each decision is unit-tested for every flavour. Only MariaDB runs in our
/// integration tests; MySQL 8 is covered by those unit tests.
/// </summary>
public sealed record MySqlDialect(string Flavor, Version Version)
{
    /// <summary>From the server's version (SELECT VERSION(), e.g. "10.11.6-MariaDB-0+deb12u1-log" or "8.4.0").</summary>
    public static MySqlDialect From(string versionString)
    {
        var flavor = versionString.Contains("MariaDB", StringComparison.OrdinalIgnoreCase) ? "MariaDB" : "MySQL";
        return new MySqlDialect(flavor, LeadingVersion(versionString));
    }

    public bool IsMariaDb => Flavor == "MariaDB";

    private bool MySqlAtLeast(int major, int minor, int build = 0) => !IsMariaDb && Version >= new Version(major, minor, build);

    /// <summary>MySQL 8.2 renamed SHOW MASTER STATUS and 8.4 removed the old name; MariaDB keeps it.</summary>
    public string BinlogStatusQuery => MySqlAtLeast(8, 2) ? "show binary log status" : "show master status";

    /// <summary>MySQL only: whether GTIDs are on. MariaDB always has GTIDs and no gtid_mode variable.</summary>
    public string? GtidModeQuery => IsMariaDb ? null : "select @@global.gtid_mode";

    /// <summary>MariaDB maps binlog coordinates to its GTID position with BINLOG_GTID_POS; MySQL writes GTID_PURGED into the dump.</summary>
    public string? GtidAtCoordinatesQuery => IsMariaDb ? "select binlog_gtid_pos(@file, @position)" : null;

    /// <summary>
    /// The options that differ by server and dump tool (the tool's own version matters: Debian's mysqldump
    /// is MariaDB's). <paramref name="gtidOn"/> is MySQL's gtid_mode = ON.
    /// </summary>
    public IReadOnlyList<string> DumpOptions(MySqlDumpTool tool, bool binlog, bool gtidOn)
    {
        var options = new List<string>();
        if (binlog)
        {
            // mariadb-dump asks SHOW MASTER STATUS for the coordinates, which MySQL 8.4 no longer has.
            if (tool.IsMariaDb && MySqlAtLeast(8, 4))
                throw new BackupToolsException("MySqlDumpToolMismatch", FailureKind.ExternalToolFailure,
                    $"MariaDB's dump tool ({tool}) cannot read the binlog position of MySQL {Version}.", "Install MySQL's own mysqldump 8.4 or later and point -ToolPath at it.");
            // MySQL 8.0.26 renamed --master-data (still accepted until 8.4, where it was removed).
            options.Add(!tool.IsMariaDb && tool.Version >= new Version(8, 0, 26) ? "--source-data=2" : "--master-data=2");
        }
        if (!tool.IsMariaDb && !IsMariaDb && gtidOn)
        {
            // The default (AUTO) writes SET @@GLOBAL.GTID_PURGED, which fails when the dump is loaded into a
            // server that already executed those GTIDs (every restore onto its own server). COMMENTED (8.0.32)
            // keeps the set as a comment we read; older tools leave it out and we query it beside the dump.
            options.Add(tool.Version >= new Version(8, 0, 32) ? "--set-gtid-purged=COMMENTED" : "--set-gtid-purged=OFF");
        }
        // MySQL 8's mysqldump reads information_schema.COLUMN_STATISTICS, which MariaDB and MySQL 5.7 lack.
        if (!tool.IsMariaDb && tool.Version.Major >= 8 && (IsMariaDb || Version.Major < 8)) options.Add("--column-statistics=0");
        return options;
    }

    /// <summary>
    /// For MySQL dumps without GTID_PURGED in them (tools before 8.0.32): the executed set, read from the
    /// binlog status just before the dump starts. It may lag the snapshot, never lead it.
    /// </summary>
    public bool GtidSetReadBesideDump(MySqlDumpTool tool, bool gtidOn) => !IsMariaDb && gtidOn && (tool.IsMariaDb || tool.Version < new Version(8, 0, 32));

    internal static Version LeadingVersion(string text)
    {
        var start = text.IndexOfAny("0123456789".ToCharArray());
        if (start < 0) return new Version(0, 0);
        var numeric = new string(text[start..].TakeWhile(c => char.IsDigit(c) || c == '.').ToArray()).TrimEnd('.');
        return Version.TryParse(numeric.Contains('.') ? numeric : numeric + ".0", out var v) ? v : new Version(0, 0);
    }
}

/// <summary>The dump tool's flavour and version, from the first line of `tool --version`.</summary>
public sealed record MySqlDumpTool(bool IsMariaDb, Version Version)
{
    /// <summary>
    /// "mysqldump  Ver 8.4.0 for Linux on x86_64 (MySQL Community Server - GPL)",
    /// "mysqldump  Ver 10.19 Distrib 10.11.6-MariaDB, for debian-linux-gnu (x86_64)", "mariadb-dump from 11.4.2-MariaDB, client 10.19 …".
    /// </summary>
    public static MySqlDumpTool From(string versionLine)
    {
        var mariaDb = versionLine.Contains("MariaDB", StringComparison.OrdinalIgnoreCase);
        var distrib = versionLine.IndexOf("Distrib ", StringComparison.Ordinal);
        var from = versionLine.IndexOf(" from ", StringComparison.Ordinal);
        var ver = versionLine.IndexOf(" Ver ", StringComparison.Ordinal);
        var at = distrib >= 0 ? distrib + 8 : from >= 0 ? from + 6 : ver >= 0 ? ver + 5 : 0;
        return new MySqlDumpTool(mariaDb, MySqlDialect.LeadingVersion(versionLine[at..]));
    }

    public override string ToString() => $"{(IsMariaDb ? "MariaDB" : "MySQL")} dump tool {Version}";
}
