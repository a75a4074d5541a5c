using System.Diagnostics;
using System.Globalization;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Operations;

/// <summary>
/// A hook run after a successful restore (restart a service, fix ownership): an executable run here, or a callback
/// the caller brings (Restore-Cell's script block, run on its pipeline thread). The callback returns the hook's
/// output and throws when the hook failed.
/// </summary>
public sealed record RestoreHook(string? Executable, Func<RestoreOutcome, string>? Callback, TimeSpan Timeout)
{
    public static RestoreHook Run(string executable, TimeSpan timeout) => new(executable, null, timeout);
    public static RestoreHook Call(Func<RestoreOutcome, string> callback, TimeSpan timeout) => new(null, callback, timeout);
}

/// <summary>
/// Runs restore hooks for every restore path (Restore-Cell by name or id, and Restore-Cell -Plan per source). The
/// restore's facts reach an executable as environment variables — never as argv — and its exit code decides
/// success. The outcome goes into the result (HookSucceeded, HookOutput); a failure never undoes the restore.
/// </summary>
public static class RestoreHookRunner
{
    public sealed record HookOutcome(bool Succeeded, int? ExitCode, string Output);

    /// <summary>Runs the hook for a finished restore and records its outcome on <paramref name="result"/>.</summary>
    public static void Apply(RestoreHook hook, RestoreOutcome result, IOperationObserver observer, CancellationToken cancel)
    {
        try
        {
            if (hook.Callback is { } callback)
            {
                result.HookOutput = callback(result);
                result.HookSucceeded = true;
                return;
            }
            observer.Verbose($"Running the restore hook {hook.Executable}.");
            var outcome = RunExecutable(hook.Executable!, result, hook.Timeout, cancel);
            result.HookOutput = outcome.ExitCode is { } code && !outcome.Succeeded ? $"exit code {code}: {outcome.Output}" : outcome.Output;
            result.HookSucceeded = outcome.Succeeded;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            result.HookSucceeded = false;
            result.HookOutput ??= e.Message;
        }
    }

    /// <summary>The error to report beside a result whose hook failed (null: none failed).</summary>
    public static BackupToolsException? FailureOf(RestoreOutcome result) =>
        result.HookSucceeded != false ? null : new BackupToolsException("RestoreHookFailed", FailureKind.ExternalToolFailure,
            $"The restore of '{result.Cell}' into {result.Destination} succeeded but its restore hook failed: {result.HookOutput}",
            "The data is restored; fix the hook's problem and run its steps by hand.");

    public static HookOutcome RunExecutable(string path, RestoreOutcome result, TimeSpan timeout, CancellationToken cancel)
    {
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in Variables(result)) start.Environment[name] = value;
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("the process did not start");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return new HookOutcome(false, null, $"could not start '{path}': {e.Message}");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancel);
            var stderr = process.StandardError.ReadToEndAsync(cancel);
            if (!process.WaitForExit((int)timeout.TotalMilliseconds))
            {
                process.Kill(entireProcessTree: true);
                return new HookOutcome(false, null, $"'{path}' did not finish within {timeout.TotalSeconds:0} s and was killed");
            }
            var output = (stdout.Result + stderr.Result).Trim();
            return new HookOutcome(process.ExitCode == 0, process.ExitCode, output);
        }
    }

    /// <summary>Names the operators' scripts already use (RESTORE_DATE) plus our own.</summary>
    public static IEnumerable<(string, string)> Variables(RestoreOutcome result)
    {
        yield return ("BACKUPTOOLS_CELL", result.Cell);
        yield return ("BACKUPTOOLS_ENGINE", result.Engine);
        yield return ("BACKUPTOOLS_RESTORE_PATH", result.Destination);
        yield return ("BACKUPTOOLS_RESTORE_ID", result.RestoredId);
        yield return ("BACKUPTOOLS_SAFETY_BACKUP_ID", result.SafetyBackupId ?? "");
        yield return ("RESTORE_DATE", result.RestoredPointInTime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
    }
}
