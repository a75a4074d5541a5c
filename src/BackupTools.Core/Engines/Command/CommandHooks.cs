using BackupTools.Core.Engines.External;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Engines.Command;

/// <summary>The quiesce/resume hooks around a command backup (flush tables, pause a writer, stop a consumer…).</summary>
internal static class CommandHooks
{
    public static void Run(string role, string? command, CommandSource source, TimeSpan timeout, CancellationToken cancel)
    {
        if (string.IsNullOrWhiteSpace(command)) return;
        var result = ShellCommand.Run(command, timeout, cancel, source.Variables);
        if (result.TimedOut)
            throw new BackupToolsException($"Command{role}TimedOut", FailureKind.ExternalToolFailure,
                $"The {role.ToLowerInvariant()} command did not finish within {timeout.TotalSeconds:0} s and was killed: {ShellStream.Tail(result.Output)}",
                "Nothing was recorded. Raise -HookTimeoutSec or fix the command.");
        if (result.ExitCode != 0)
            throw new BackupToolsException($"Command{role}Failed", FailureKind.ExternalToolFailure,
                $"The {role.ToLowerInvariant()} command failed with exit code {result.ExitCode}: {ShellStream.Tail(result.Output)}",
                "Nothing was recorded. Fix the command (run it by hand with the same environment) and run again.");
    }
}
