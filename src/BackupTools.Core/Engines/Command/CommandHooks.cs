using BackupTools.Core.Engines.External;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Engines.Command;

/// <summary>The quiesce/resume hooks around a command backup (flush tables, pause a writer, stop a consumer…).</summary>
internal static class CommandHooks
{
    /// <param name="role">"Quiesce" or "Resume" (it names the error id: CommandQuiesceFailed, CommandResumeTimedOut…).</param>
    public static void Run(string role, string? command, CommandSource source, TimeSpan timeout, CancellationToken cancel)
    {
        if (string.IsNullOrWhiteSpace(command)) return;
        var result = ShellCommand.Run(command, timeout, cancel, source.Variables);
        if (result.TimedOut)
            throw new BackupToolsException(role == "Quiesce" ? "CommandQuiesceTimedOut" : "CommandResumeTimedOut", FailureKind.ExternalToolFailure,
                $"The {role.ToLowerInvariant()} command did not finish within {timeout.TotalSeconds:0} s and was killed: {ShellStream.Tail(result.Output)}",
                "Nothing was recorded. Raise -HookTimeoutSec or fix the command.");
        if (result.ExitCode != 0)
            throw new BackupToolsException(role == "Quiesce" ? "CommandQuiesceFailed" : "CommandResumeFailed", FailureKind.ExternalToolFailure,
                $"The {role.ToLowerInvariant()} command failed with exit code {result.ExitCode}: {ShellStream.Tail(result.Output)}",
                "Nothing was recorded. Fix the command (run it by hand with the same environment) and run again.");
    }
}
