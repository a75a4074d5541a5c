using System.Globalization;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Engines.PostgresPitr;

/// <summary>
/// Where recovery stops: a time, a WAL position (LSN), just after a transaction id, or a named restore point
/// (pg_create_restore_point) — at most one; none means the end of the archived WAL.
/// </summary>
public sealed record RecoveryTarget(DateTimeOffset? Time, ulong? Lsn, string? Xid, string? Name)
{
    public static RecoveryTarget From(DateTimeOffset? time, string? lsn, string? xid, string? name)
    {
        var given = new[] { ("At", time is not null), ("Lsn", lsn is not null), ("Xid", xid is not null), ("RestorePoint", name is not null) }.Where(g => g.Item2).Select(g => g.Item1).ToList();
        if (given.Count > 1)
            throw new BackupInputException("RecoveryTargetAmbiguous", given[1], $"-{string.Join(" and -", given)} were both given; recovery stops at one target.", "Pass only one of -At, -Lsn, -Xid, -RestorePoint.");
        ulong? position = null;
        if (lsn is not null)
        {
            try { position = WalFileName.ParseLsn(lsn); }
            catch (FormatException) { throw new BackupInputException("RecoveryTargetInvalid", "Lsn", $"'{lsn}' is not a WAL position.", "Write it as PostgreSQL prints it, e.g. 0/3000148 (pg_current_wal_lsn())."); }
        }
        if (xid is not null && (xid.Length == 0 || !xid.All(char.IsAsciiDigit)))
            throw new BackupInputException("RecoveryTargetInvalid", "Xid", $"'{xid}' is not a transaction id.", "Pass the number txid_current() returned, e.g. 7421.");
        if (name is not null && (name.Length == 0 || name.Contains('\'') || name.Any(char.IsControl)))
            throw new BackupInputException("RecoveryTargetInvalid", "RestorePoint", $"'{name}' is not a usable restore point name.", "Pass the name given to pg_create_restore_point (no quotes).");
        return new RecoveryTarget(time?.ToUniversalTime(), position, xid, name);
    }

    public bool IsEnd => Time is null && Lsn is null && Xid is null && Name is null;

    public string Describe() =>
        Time is { } t ? t.ToString("u", CultureInfo.InvariantCulture)
        : Lsn is { } l ? $"LSN {WalFileName.FormatLsn(l)}"
        : Xid is { } x ? $"transaction {x}"
        : Name is { } n ? $"restore point '{n}'"
        : "the end of its archived WAL";

    /// <summary>postgresql.conf settings for this target (none for the end of the archive).</summary>
    public IEnumerable<string> Settings()
    {
        if (IsEnd) yield break;
        yield return Time is { } t ? $"recovery_target_time = '{t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture)}+00'"
            : Lsn is { } l ? $"recovery_target_lsn = '{WalFileName.FormatLsn(l)}'"
            : Xid is { } x ? $"recovery_target_xid = '{x}'"
            : $"recovery_target_name = '{Name}'";
        yield return "recovery_target_action = 'promote'";
    }
}
