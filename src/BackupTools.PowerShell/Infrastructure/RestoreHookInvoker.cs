using System.Management.Automation;
using BackupTools.Core.Operations;
using BackupTools.Core.Errors;

namespace BackupTools.PowerShell.Infrastructure;

/// <summary>
/// Restore-Cell -RestoreHook: a script block (run here, with the RestoreResult as $_ and $args[0]) or an executable
/// (RestoreHookRunner in the core). The outcome goes into the result; a failure comes back as the error to write.
/// </summary>
internal static class RestoreHookInvoker
{
    public static BackupToolsException? Run(object hook, Func<string, string> resolvePath, RestoreResult result, TimeSpan timeout, CancellationToken cancel)
    {
        try
        {
            if (hook is ScriptBlock block)
            {
                var output = block.InvokeWithContext(null, [new PSVariable("_", result)], result);
                result.HookOutput = string.Join(Environment.NewLine, output.Select(o => o?.ToString()));
                result.HookSucceeded = true;
                return null;
            }
            var outcome = RestoreHookRunner.RunExecutable(resolvePath((string)hook), result, timeout, cancel);
            result.HookOutput = outcome.Output;
            result.HookSucceeded = outcome.Succeeded;
            if (!outcome.Succeeded) throw new InvalidOperationException(outcome.ExitCode is { } code ? $"exit code {code}: {outcome.Output}" : outcome.Output);
            return null;
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            result.HookSucceeded = false;
            result.HookOutput ??= e.Message;
            return new BackupToolsException("RestoreHookFailed", FailureKind.ExternalToolFailure,
                $"The restore of '{result.Cell}' succeeded but its restore hook failed: {e.Message}",
                "The data is restored; fix the hook's problem and run its steps by hand.");
        }
    }
}
