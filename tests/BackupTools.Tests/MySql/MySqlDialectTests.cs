using System.Text;
using BackupTools.Core.Engines.MySql;
using BackupTools.Core.Errors;

namespace BackupTools.Tests.MySql;

/// <summary>
/// The MariaDB/MySQL differences decided by version strings. MySQL 8 cannot run in our test environment,
/// so these unit tests are its only coverage; the strings are what the servers and tools really print.
/// </summary>
public sealed class MySqlDialectTests
{
    private const string MariaDbServer = "10.11.19-MariaDB-0+deb12u1-log";
    private static readonly MySqlDumpTool MariaDbTool = MySqlDumpTool.From("mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)");
    private static MySqlDumpTool MySqlTool(string v) => MySqlDumpTool.From($"mysqldump  Ver {v} for Linux on x86_64 (MySQL Community Server - GPL)");

    [Theory]
    [InlineData("mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)", true, "10.11.19")]
    [InlineData("mysqldump  Ver 10.19 Distrib 10.6.16-MariaDB, for debian-linux-gnu (x86_64)", true, "10.6.16")]
    [InlineData("mariadb-dump from 11.4.2-MariaDB, client 10.19 for Linux (x86_64)", true, "11.4.2")]
    [InlineData("mysqldump  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)", false, "8.0.36")]
    [InlineData("mysqldump  Ver 8.4.0 for Linux on x86_64 (MySQL Community Server - GPL)", false, "8.4.0")]
    [InlineData("mysqldump  Ver 10.13 Distrib 5.7.44, for Linux (x86_64)", false, "5.7.44")]
    public void Dump_tool_flavour_and_version_come_from_its_version_line(string line, bool mariaDb, string version)
    {
        var tool = MySqlDumpTool.From(line);
        Assert.Equal(mariaDb, tool.IsMariaDb);
        Assert.Equal(Version.Parse(version), tool.Version);
    }

    [Theory]
    [InlineData(MariaDbServer, "MariaDB", "10.11.19", "show master status")]
    [InlineData("5.7.44-log", "MySQL", "5.7.44", "show master status")]
    [InlineData("8.0.36", "MySQL", "8.0.36", "show master status")]
    [InlineData("8.2.0", "MySQL", "8.2.0", "show binary log status")]
    [InlineData("8.4.3-commercial", "MySQL", "8.4.3", "show binary log status")]
    [InlineData("11.4.2-MariaDB", "MariaDB", "11.4.2", "show master status")]
    public void Server_flavour_version_and_binlog_status_statement(string server, string flavor, string version, string statusQuery)
    {
        var dialect = MySqlDialect.From(server);
        Assert.Equal(flavor, dialect.Flavor);
        Assert.Equal(Version.Parse(version), dialect.Version);
        Assert.Equal(statusQuery, dialect.BinlogStatusQuery);
    }

    [Fact]
    public void MariaDB_uses_master_data_and_maps_coordinates_to_its_gtid_position()
    {
        var dialect = MySqlDialect.From(MariaDbServer);
        Assert.Equal(["--master-data=2"], dialect.DumpOptions(MariaDbTool, binlog: true, gtidOn: false));
        Assert.Empty(dialect.DumpOptions(MariaDbTool, binlog: false, gtidOn: false));
        Assert.Null(dialect.GtidModeQuery);
        Assert.Contains("binlog_gtid_pos", dialect.GtidAtCoordinatesQuery);
        Assert.False(dialect.GtidSetReadBesideDump(MariaDbTool, gtidOn: false));
    }

    [Theory]
    // 8.0.26 renamed --master-data to --source-data; 8.0.32 added --set-gtid-purged=COMMENTED.
    [InlineData("8.0.20", "8.0.20", true, "--master-data=2 --set-gtid-purged=OFF", true)]
    [InlineData("8.0.28", "8.0.28", true, "--source-data=2 --set-gtid-purged=OFF", true)]
    [InlineData("8.0.36", "8.0.36", true, "--source-data=2 --set-gtid-purged=COMMENTED", false)]
    [InlineData("8.4.0", "8.4.0", true, "--source-data=2 --set-gtid-purged=COMMENTED", false)]
    [InlineData("8.4.0", "8.4.0", false, "--source-data=2", false)]
    [InlineData("5.7.44-log", "8.0.36", true, "--source-data=2 --set-gtid-purged=COMMENTED --column-statistics=0", false)]
    [InlineData("5.7.44-log", "5.7.44", false, "--master-data=2", false)]
    public void MySQL_options_follow_the_dump_tool_version_and_gtid_mode(string server, string tool, bool gtidOn, string expected, bool gtidBeside)
    {
        var dialect = MySqlDialect.From(server);
        Assert.Equal(expected, string.Join(" ", dialect.DumpOptions(MySqlTool(tool), binlog: true, gtidOn)));
        Assert.Equal("select @@global.gtid_mode", dialect.GtidModeQuery);
        Assert.Null(dialect.GtidAtCoordinatesQuery);
        Assert.Equal(gtidBeside, dialect.GtidSetReadBesideDump(MySqlTool(tool), gtidOn));
    }

    [Fact]
    public void MySQL_8_dump_tool_against_MariaDB_skips_column_statistics_and_gtid_options()
    {
        Assert.Equal(["--source-data=2", "--column-statistics=0"], MySqlDialect.From(MariaDbServer).DumpOptions(MySqlTool("8.0.36"), binlog: true, gtidOn: true));
    }

    [Fact]
    public void MariaDB_dump_tool_cannot_take_the_binlog_position_of_MySQL_8_4()
    {
        var dialect = MySqlDialect.From("8.4.0");
        var error = Assert.Throws<BackupToolsException>(() => dialect.DumpOptions(MariaDbTool, binlog: true, gtidOn: true));
        Assert.Equal("MySqlDumpToolMismatch", error.ErrorId);
        Assert.Empty(dialect.DumpOptions(MariaDbTool, binlog: false, gtidOn: false));
        Assert.True(dialect.GtidSetReadBesideDump(MariaDbTool, gtidOn: true));
    }

    [Theory]
    [InlineData("SET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ 'a3682473-d901-11ee-9446-567b0e29bc8b:1-447,\nda0279d4-cdac-11ee-a636-b64a489e42e6:1-475';",
        "a3682473-d901-11ee-9446-567b0e29bc8b:1-447,\nda0279d4-cdac-11ee-a636-b64a489e42e6:1-475")]
    [InlineData("-- SET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ 'f6b27acf-3a68-11eb-8944-000c29f23569:1-44592';", "f6b27acf-3a68-11eb-8944-000c29f23569:1-44592")]
    [InlineData("-- SET GLOBAL gtid_slave_pos='0-1-4711';", "0-1-4711")]
    public void Dump_header_gtid_set_is_read_from_MySQL_set_commented_set_and_MariaDB_forms(string header, string gtid)
    {
        var sniffer = new DumpSniffer(Stream.Null);
        sniffer.Write(Encoding.UTF8.GetBytes("-- MySQL dump\n" + header + "\n-- CHANGE SOURCE TO SOURCE_LOG_FILE='binlog.000042', SOURCE_LOG_POS=157;\n"));
        Assert.Equal(gtid, sniffer.GtidSet());
        Assert.Equal(("binlog.000042", 157L), sniffer.BinlogCoordinates());
    }

    [Fact]
    public void MariaDB_gtid_position_is_read_from_the_tail_after_the_data()
    {
        // mariadb-dump --master-data=2 writes the position after every table, ~0.5 KiB before the end marker.
        var sniffer = new DumpSniffer(Stream.Null);
        sniffer.Write(Encoding.UTF8.GetBytes("-- MariaDB dump\n-- CHANGE MASTER TO MASTER_LOG_FILE='binlog.000007', MASTER_LOG_POS=1033;\n"));
        sniffer.Write(new byte[256 * 1024]);
        var domains = string.Join(",", Enumerable.Range(0, 40).Select(d => $"{d}-1-{1000 + d}"));
        var restores = string.Concat(Enumerable.Repeat("/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;\n", 10));
        sniffer.Write(Encoding.UTF8.GetBytes($"-- SET GLOBAL gtid_slave_pos='{domains}';\n{restores}\n-- Dump completed\n"));
        Assert.Equal(domains, sniffer.GtidSet());
        Assert.True(sniffer.Completed);
    }
}
