using System.Text;
using System.Text.RegularExpressions;
using BackupTools.Core.Errors;
using BackupTools.Core.Pipeline;

namespace BackupTools.Core.Engines.MySql;

/// <summary>
/// Read-through stream that refuses a dump naming its database (mysqldump --databases/--all-databases
/// writes CREATE DATABASE and USE at the top): replayed into a differently named database, its USE would
/// send every statement into the original one. Backup-MySql dumps one database without --databases, so
/// this only trips on a foreign or tampered dump. Bytes are checked before they are handed on.
/// </summary>
public sealed partial class SingleDatabaseDumpGuard(Stream inner) : ReadOnlyForwardStream
{
    private const int HeadSize = 64 * 1024;
    private readonly MemoryStream _head = new();

    public override int Read(Span<byte> buffer)
    {
        var n = inner.Read(buffer);
        if (_head.Length < HeadSize && n > 0)
        {
            _head.Write(buffer[..Math.Min(n, HeadSize - (int)_head.Length)]);
            Check(Encoding.UTF8.GetString(_head.GetBuffer(), 0, (int)_head.Length));
        }
        return n;
    }

    public static void Check(string head)
    {
        var match = DatabaseStatement().Match(head);
        if (match.Success)
            throw new BackupToolsException("MySqlDumpNamesDatabase", FailureKind.InvalidData,
                $"The dump contains '{match.Value.Trim()}', so it would not stay inside the database it is restored into; nothing was restored.",
                "Restore only dumps written by Backup-MySql (one database, without --databases).");
    }

    [GeneratedRegex(@"^(?:/\*!\d+\s*)?(?:USE\s+[`\w]|CREATE\s+DATABASE\b)[^\n]{0,80}", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex DatabaseStatement();
}
