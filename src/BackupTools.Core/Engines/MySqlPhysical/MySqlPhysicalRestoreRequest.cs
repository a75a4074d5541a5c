using BackupTools.Core.Engines.MySql;
using BackupTools.Core.Engines.MySqlPitr;
using BackupTools.Core.Keys;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines.MySqlPhysical;

/// <summary>
/// Restore-MySqlPhysical: backup Id (or the newest of Cell completed before the replay target / now) prepared and proven on
/// a temporary server, optionally replayed to a point from the binlog archive (Replay), then put in place of DataDirectory,
/// whose server must be stopped. The replaced directory is kept beside it until StartCommand has started the server and
/// Target answers (then removed unless KeepPrevious); without StartCommand it is kept and the caller starts the server.
/// </summary>
public sealed record MySqlPhysicalRestoreRequest(
    RepositoryReference Repository,
    string? Id,
    string? Cell,
    string DataDirectory,
    BinlogReplayTarget? Replay,
    string? StartCommand,
    MySqlTarget? Target,
    bool KeepPrevious,
    string? ToolPath,
    BackupKeyRing? Keys,
    Func<string, string, bool> ShouldProcess)
{
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Starts the server instead of StartCommand (a plan's start:, with its environment); throws when it fails.</summary>
    public Action? StartAction { get; init; }
}
