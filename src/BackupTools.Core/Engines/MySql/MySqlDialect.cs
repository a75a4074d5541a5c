namespace BackupTools.Core.Engines.MySql;

/// <summary>
/// The few places MariaDB and MySQL 8 differ for us, kept in one small adapter: the dump option that
/// records the binlog position, and where the GTID set lives.
/// </summary>
public sealed record MySqlDialect(string Flavor, Version Version)
{
    public static MySqlDialect From(string versionString)
    {
        var flavor = versionString.Contains("MariaDB", StringComparison.OrdinalIgnoreCase) ? "MariaDB" : "MySQL";
        var numeric = new string(versionString.TakeWhile(c => char.IsDigit(c) || c == '.').ToArray());
        return new MySqlDialect(flavor, Version.TryParse(numeric, out var v) ? v : new Version(0, 0));
    }

    public bool IsMariaDb => Flavor == "MariaDB";

    /// <summary>
    /// The option that writes the snapshot's binlog coordinates into the dump as a comment (MySQL 8.0.26
    /// renamed --master-data). MySQL also writes GTID_PURGED there when GTIDs are on.
    /// </summary>
    public string PositionOption => !IsMariaDb && Version >= new Version(8, 0, 26) ? "--source-data=2" : "--master-data=2";

    /// <summary>MariaDB maps binlog coordinates to its GTID position with BINLOG_GTID_POS; MySQL needs no query.</summary>
    public string? GtidAtCoordinatesQuery => IsMariaDb ? "select binlog_gtid_pos(@file, @position)" : null;
}
