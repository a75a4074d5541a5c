using System.Text;
using BackupTools.Core.Engines.MySql;
using BackupTools.Core.Errors;

namespace BackupTools.Tests.MySql;

public sealed class MySqlRestorePartsTests
{
    private const string Header = "-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB\n--\n-- Host: 127.0.0.1    Database: shop\n" +
        "/*!40101 SET NAMES utf8mb4 */;\n--\n-- Table structure for table `t`\n--\nCREATE TABLE `t` (`id` int);\n" +
        "INSERT INTO `t` VALUES ('USE `other`; CREATE DATABASE x');\n";

    private static string ReadThrough(string dump, int chunk)
    {
        using var guard = new SingleDatabaseDumpGuard(new MemoryStream(Encoding.UTF8.GetBytes(dump)));
        var output = new MemoryStream();
        var buffer = new byte[chunk];
        int n;
        while ((n = guard.Read(buffer, 0, buffer.Length)) > 0) output.Write(buffer, 0, n);
        return Encoding.UTF8.GetString(output.ToArray());
    }

    [Theory]
    [InlineData(7)]
    [InlineData(1 << 16)]
    public void A_single_database_dump_passes_the_guard_unchanged(int chunk) => Assert.Equal(Header, ReadThrough(Header, chunk));

    [Theory]
    [InlineData("CREATE DATABASE /*!32312 IF NOT EXISTS*/ `shop` /*!40100 DEFAULT CHARACTER SET utf8mb4 */;\n")]
    [InlineData("USE `shop`;\n")]
    [InlineData("/*!40000 USE shop */;\n")]
    public void A_dump_naming_its_database_is_refused_before_the_statement_is_handed_on(string statement)
    {
        foreach (var chunk in new[] { 5, 4096 })
        {
            var dump = Header[..60] + "\n" + statement + Header[60..];
            var passed = new StringBuilder();
            var error = Assert.Throws<BackupToolsException>(() => passed.Append(ReadThrough(dump, chunk)));
            Assert.Equal("MySqlDumpNamesDatabase", error.ErrorId);
        }
    }

    [Theory]
    [InlineData("CREATE VIEW `v` AS select `shop__bt_restore_ab12cd`.`t`.`id` AS `id` from `shop__bt_restore_ab12cd`.`t`",
        "CREATE VIEW `v` AS select `shop copy`.`t`.`id` AS `id` from `shop copy`.`t`")]
    [InlineData("CREATE TRIGGER tr BEFORE INSERT ON shop__bt_restore_ab12cd.t FOR EACH ROW SET new.v = 'shop__bt_restore_ab12cd.t'",
        "CREATE TRIGGER tr BEFORE INSERT ON `shop copy`.t FOR EACH ROW SET new.v = 'shop__bt_restore_ab12cd.t'")]
    [InlineData("select x.shop__bt_restore_ab12cd2.t, shop__bt_restore_ab12cd2.t from t", "select x.shop__bt_restore_ab12cd2.t, shop__bt_restore_ab12cd2.t from t")]
    public void Schema_qualifiers_are_rewritten_but_string_literals_and_longer_names_are_not(string definition, string expected)
    {
        Assert.Equal(expected, MySqlSchemaObjects.Rewrite(definition, "shop__bt_restore_ab12cd", "shop copy"));
    }
}
