using BackupTools.Core.Repository;
using BackupTools.Core.Keys;
using BackupTools.Core.Pipeline.Compression;

namespace BackupTools.Core.Engines.Command;

/// <summary>
/// The command lines of a command source (each run by /bin/sh -c) and the environment they get. Secrets belong in
/// <see cref="Environment"/> (PGPASSWORD, REDISCLI_AUTH, MONGODB_URI…): its values never reach argv, logs, errors
/// or the manifest, which records only the variable names. The command lines themselves are recorded.
/// </summary>
public sealed record CommandSource(
    string Backup,
    string? Verify = null,
    string? Quiesce = null,
    string? Resume = null,
    IReadOnlyDictionary<string, string>? Environment = null)
{
    public IReadOnlyDictionary<string, string> Variables => Environment ?? new Dictionary<string, string>();
}

public sealed record CommandBackupRequest(
    RepositoryReference Repository,
    string Cell,
    CommandSource Source,
    TimeSpan HookTimeout,
    CompressionSettings? Compression,
    BackupKeyRing? Keys,
    TimeSpan LockTimeout,
    IReadOnlyDictionary<string, string>? Tags = null);

/// <summary>Restore-CommandOutput: the backup's stream goes to <see cref="Command"/>'s standard input.</summary>
public sealed record CommandRestoreRequest(
    RepositoryReference Repository,
    string Id,
    string Command,
    IReadOnlyDictionary<string, string>? Environment,
    BackupKeyRing? Keys,
    Func<string, string, bool> ShouldProcess,
    SafetyBackupCommand? SafetyBackup = null);

/// <summary>
/// How a command restore saves what it replaces: the source's own backup command, run before the restore command
/// (a plan's command source knows it; Restore-CommandOutput does not, so it takes none).
/// </summary>
public sealed record SafetyBackupCommand(CommandSource Source, bool Skip, TimeSpan LockTimeout);

public sealed class CommandRestoreResult : RestoreOutcome
{
    public required string Command { get; init; }
    public required long Bytes { get; init; }
}
