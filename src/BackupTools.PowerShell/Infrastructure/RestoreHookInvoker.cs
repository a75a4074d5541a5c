using System.Management.Automation;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;

namespace BackupTools.PowerShell.Infrastructure;

/// <summary>
/// Restore-Cell -RestoreHook as the core's RestoreHook: an executable path (run by the core's RestoreHookRunner) or a
/// script block, handed to the core as a callback that runs it on the pipeline thread with the result as $_ and $args[0].
/// </summary>
internal static class RestoreHookInvoker
{
    /// <summary>
    /// -RestoreHook checked and an executable's path resolved now, on the pipeline thread (a bad hook fails before any
    /// restore starts); the returned factory builds the core's hook from RunCore's observer.
    /// </summary>
    public static Func<IOperationObserver, RestoreHook?> Prepare(object? hook, int timeoutSec, Func<string, string> resolvePath)
    {
        if (hook is not (null or ScriptBlock or string))
            throw new BackupInputException("RestoreHookInvalid", "RestoreHook", "must be a script block or the path of an executable.", "Pass { … } or '/path/to/hook'.");
        var resolved = hook is string path ? resolvePath(path) : hook;
        var timeout = TimeSpan.FromSeconds(timeoutSec);
        return observer => From(resolved, timeout, observer);
    }

    /// <summary>The hook for the core (an executable's path already resolved); <paramref name="observer"/> is RunCore's, whose pump runs script blocks on the pipeline thread.</summary>
    private static RestoreHook? From(object? hook, TimeSpan timeout, IOperationObserver observer) => hook switch
    {
        null => null,
        ScriptBlock block => RestoreHook.Call(result =>
        {
            var output = "";
            ((PipelineThreadPump)observer).Invoke(() =>
                output = string.Join(Environment.NewLine, block.InvokeWithContext(null, [new PSVariable("_", result)], result).Select(o => o?.ToString())));
            return output;
        }, timeout),
        _ => RestoreHook.Run((string)hook, timeout),
    };
}
