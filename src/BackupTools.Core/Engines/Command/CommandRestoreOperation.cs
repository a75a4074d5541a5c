using System.Diagnostics;
using BackupTools.Core.Audit;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines.Command;

/// <summary>
/// Restore-CommandOutput: streams a command backup, decrypted and decompressed, into the restore command's standard
/// input (mongorestore --archive, psql, redis-cli --pipe, curl -T -…). The stream's hashes are checked to its end;
/// a damaged backup is reported as such even when the restore command complains first.
/// </summary>
public sealed class CommandRestoreOperation(IOperationObserver observer)
{
    public CommandRestoreResult? Run(CommandRestoreRequest request, CancellationToken cancel) =>
        OperationAudit.Run(request.Repository, new AuditSubject("restore", null, CommandBackupOperation.EngineName, request.Id), observer,
            opened => RunUnaudited(opened, request, cancel), r => SafetyBackupStep.Audit(r, r => $"{r.Bytes} bytes into the restore command"));

    private CommandRestoreResult? RunUnaudited(OperationRepository opened, CommandRestoreRequest request, CancellationToken cancel)
    {
        if (string.IsNullOrWhiteSpace(request.Command))
            throw new BackupInputException("CommandMissing", "Command", "no restore command was given.", "Pass -Command with a command line that reads the backup from stdin.");
        var repository = opened.Get();
        var manifest = repository.GetManifest(request.Id, cancel);
        if (manifest.Engine != CommandBackupOperation.EngineName)
            throw new BackupInputException("RestoreWrongEngine", "Id", $"backup {manifest.Id} is a {manifest.Engine} backup, not a command output.", "Use the Restore- cmdlet for that engine.");
        if (!request.ShouldProcess(request.Command, $"Feed backup {manifest.Id} of cell {manifest.Cell} ({manifest.CompletedAt:u}, {manifest.Objects[BackupManifest.DataRole].RawBytes} bytes) to this command's standard input"))
            return null;
        var clock = Stopwatch.StartNew();
        var safetyId = request.SafetyBackup is { } safety
            ? SafetyBackupStep.Take(observer, repository, manifest.Id,
                new SafetyBackupTarget($"Restore-CommandOutput {manifest.Cell}", $"what the command '{request.Command}' restores into", true, safety.Skip, safety.LockTimeout),
                tags => new CommandBackupOperation(observer).RunLocked(repository, new CommandBackupRequest(request.Repository, manifest.Cell, safety.Source,
                    TimeSpan.FromMinutes(5), null, request.Keys, safety.LockTimeout, tags), cancel).Id, cancel)
            : null;
        var environment = request.Environment ?? new Dictionary<string, string>();
        using var data = repository.OpenObject(manifest, BackupManifest.DataRole, request.Keys, cancel);
        long fed = 0;
        DamagedBackupCheck.Load(manifest, data, () =>
        {
            using var restore = ShellStream.Start(request.Command, environment, null, cancel);
            var buffer = new byte[1 << 20];
            int read;
            while ((read = data.Read(buffer, 0, buffer.Length)) > 0 && !restore.InputClosed)
            {
                restore.Feed(buffer.AsSpan(0, read));
                fed += read;
                observer.Progress("Restore-CommandOutput", $"{manifest.Cell}: into the restore command", fed, manifest.Objects[BackupManifest.DataRole].RawBytes);
            }
            var (exit, stderr) = restore.Finish();
            cancel.ThrowIfCancellationRequested();
            if (exit != 0)
                throw new BackupToolsException("CommandRestoreFailed", FailureKind.ExternalToolFailure,
                    $"The restore command failed with exit code {exit} after reading {fed} bytes: {ShellStream.Tail(stderr)}",
                    "The target may hold part of the backup. Fix the cause and restore again (restore commands should replace, not append).");
            if (restore.InputClosed && fed < manifest.Objects[BackupManifest.DataRole].RawBytes)
                throw new BackupToolsException("CommandRestoreIncomplete", FailureKind.ExternalToolFailure,
                    $"The restore command exited 0 but stopped reading after {fed} of {manifest.Objects[BackupManifest.DataRole].RawBytes} bytes.",
                    "The command must read the whole backup from stdin; check it by hand.");
        }, cancel);
        return new CommandRestoreResult
        {
            Engine = CommandBackupOperation.EngineName,
            Destination = request.Command,
            SafetyBackupId = safetyId,
            SafetyBackupSkipped = request.SafetyBackup?.Skip == true,
            RestoredId = manifest.Id,
            Cell = manifest.Cell,
            RestoredPointInTime = manifest.CompletedAt,
            Command = request.Command,
            Bytes = fed,
            Duration = clock.Elapsed,
        };
    }
}
