using System.Diagnostics;
using System.Text.Json.Nodes;
using BackupTools.Core.Audit;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines.Command;

/// <summary>
/// Backs up any system that has a dump command (mongodump --archive, an export API through curl, pg_dumpall…): the
/// command's standard output is the backup, streamed through the same pipeline as every other engine. Around it
/// run the optional quiesce and resume hooks; alongside it the optional verify command reads the same stream on its
/// stdin. The backup is recorded only when the command and the verify command both exit 0 and the output is not
/// empty: a command that fails half-way, or output the verify command rejects, leaves nothing in the repository.
/// </summary>
public sealed class CommandBackupOperation(IOperationObserver observer)
{
    public const string EngineName = "command";
    private const string Activity = "Backup-CommandOutput";

    private BackupTemplate Template => new(observer);

    public BackupRecord Run(CommandBackupRequest request, CancellationToken cancel) =>
        Template.Audited(request.Repository, new AuditSubject("backup", request.Cell, EngineName, Describe(request.Source)), opened =>
        {
            Validate(request);
            return Template.Locked(opened, $"Backup-CommandOutput {request.Cell}", request.LockTimeout, cancel, repository => RunLocked(repository, request, cancel));
        });

    /// <summary>For callers that hold the writer lock already (a plan, a restore's safety backup).</summary>
    public BackupRecord RunLocked(BackupRepository repository, CommandBackupRequest request, CancellationToken cancel)
    {
        Validate(request);
        WarnAboutUnpairedHooks(request.Source);
        var source = request.Source;
        var clock = Stopwatch.StartNew();
        long bytes = 0;
        var backup = new StreamBackup(request.Cell, Describe(source), EngineName, request.Compression, request.Keys, request.Tags, Activity, $"{request.Cell}: command output");
        return Template.Write(repository, backup, data =>
        {
            CommandHooks.Run("Quiesce", source.Quiesce, source, request.HookTimeout, cancel);
            try { bytes = Dump(source, data, cancel); }
            finally { ResumeAfter(source, request.HookTimeout, cancel); }
        }, () => new JsonObject
        {
            ["command"] = source.Backup,
            ["verifyCommand"] = source.Verify,
            ["quiesceCommand"] = source.Quiesce,
            ["resumeCommand"] = source.Resume,
            ["environmentNames"] = new JsonArray(source.Variables.Keys.Order(StringComparer.Ordinal).Select(k => (JsonNode)k).ToArray()),
            ["verified"] = source.Verify != null,
            ["outputBytes"] = bytes,
            ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 3),
        }, cancel);
    }

    private long Dump(CommandSource source, Stream sink, CancellationToken cancel)
    {
        using var verifier = source.Verify is null ? null : ShellStream.Start(source.Verify, source.Variables, null, cancel);
        var tee = new TeeToCommand(sink, verifier);
        observer.Verbose($"Running the backup command: {source.Backup}");
        using (var dump = ShellStream.Start(source.Backup, source.Variables, tee, cancel))
        {
            dump.CloseInput();
            var (exit, stderr) = FinishOrThrow(dump, cancel);
            if (exit != 0)
                throw new BackupToolsException("CommandBackupFailed", FailureKind.ExternalToolFailure,
                    $"The backup command failed with exit code {exit} after {tee.Length64} bytes of output: {ShellStream.Tail(stderr)}",
                    "Nothing was recorded. Run the command by hand with the same environment to see why; in a pipeline (a | b) the shell reports only the last command's exit code, so put 'set -o pipefail;' first (bash) or avoid the pipe.");
        }
        if (tee.Length64 == 0)
            throw new BackupToolsException("CommandBackupEmpty", FailureKind.InvalidData, "The backup command exited 0 but wrote nothing to its standard output.",
                "Nothing was recorded. The command must write the backup to stdout (e.g. mongodump --archive, pg_dumpall, curl -fsS …), not to a file.");
        if (verifier != null)
        {
            var (exit, stderr) = FinishOrThrow(verifier, cancel);
            if (exit != 0)
                throw new BackupIntegrityException("CommandVerifyFailed",
                    $"The verify command rejected the backup command's output ({tee.Length64} bytes; exit code {exit}): {ShellStream.Tail(stderr)}",
                    "Nothing was recorded. Check the backup command's output by hand, or the verify command.");
            observer.Verbose($"The verify command accepted all {tee.Length64} bytes.");
        }
        return tee.Length64;
    }

    private static (int ExitCode, string Stderr) FinishOrThrow(ShellStream command, CancellationToken cancel)
    {
        var result = command.Finish();
        cancel.ThrowIfCancellationRequested();
        return result;
    }

    private void ResumeAfter(CommandSource source, TimeSpan timeout, CancellationToken cancel)
    {
        if (source.Resume is null) return;
        try { CommandHooks.Run("Resume", source.Resume, source, timeout, CancellationToken.None); }
        catch (BackupToolsException e) when (!cancel.IsCancellationRequested)
        {
            throw new BackupToolsException(e.ErrorId, e.Kind, e.Message + " The system may still be quiesced.", "Nothing was recorded. Resume the system by hand, then fix the resume command.", e);
        }
    }

    private static void Validate(CommandBackupRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.Source.Backup))
            throw new BackupInputException("CommandMissing", "Command", "no backup command was given.", "Pass -Command with a command line that writes the backup to stdout.");
        foreach (var name in request.Source.Variables.Keys)
            if (name.Length == 0 || name.Contains('=') || name.Contains('\0'))
                throw new BackupInputException("CommandEnvironmentInvalid", "Environment", $"'{name}' is not a valid environment variable name.", "Use names like PGPASSWORD or MONGODB_URI.");
    }

    private void WarnAboutUnpairedHooks(CommandSource source)
    {
        if ((source.Quiesce is null) != (source.Resume is null))
            observer.Warning(source.Quiesce is null ? "A resume command without a quiesce command: it runs after the backup anyway." : "A quiesce command without a resume command: nothing resumes the system after the backup.");
    }

    private static string Describe(CommandSource source)
    {
        var first = source.Backup.Trim().Split([' ', '\t', '\n'], 2)[0];
        return $"command:{Path.GetFileName(first)}";
    }
}
