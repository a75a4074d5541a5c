using BackupTools.Core.Repository;
using BackupTools.Core.Engines.MySql;
using BackupTools.Core.Keys;
using BackupTools.Core.Pipeline.Compression;

namespace BackupTools.Core.Engines.MySqlPitr;

/// <summary>
/// Push-MySqlBinlog: stream the server's binlog into Spool and ship it into the repository under Cell. Watch keeps
/// streaming (mariadb-binlog --stop-never) and pushes every Interval; otherwise one pass up to the server's
/// current end. StartFile: where an empty archive begins (default: the oldest binlog the server still has).
/// </summary>
public sealed record BinlogArchiveRequest(
    RepositoryReference Repository,
    MySqlTarget Target,
    string Cell,
    string Spool,
    string? ToolPath,
    CompressionSettings? Compression,
    BackupKeyRing? Keys,
    TimeSpan LockTimeout,
    bool Watch,
    TimeSpan Interval,
    string? StartFile = null)
{
    public static string DefaultCell(MySqlTarget target) =>
        "mysql-" + new string(target.Host.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '_').ToArray()) + "-" + target.Port;
}

/// <summary>One push of the spool: the batch written (null: nothing new), its segments, the gaps the archive has now.</summary>
public sealed record BinlogPushResult(string Cell, string? BatchId, IReadOnlyList<BinlogSegment> Segments, IReadOnlyList<BinlogGap> Gaps,
    DateTimeOffset? NewestEvent, TimeSpan Duration);
