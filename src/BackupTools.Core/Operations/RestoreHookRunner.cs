using System.Diagnostics;
using System.Globalization;

namespace BackupTools.Core.Operations;

/// <summary>
/// Runs an executable restore hook after a restore (e.g. restart a service, fix ownership). The restore's
/// facts arrive as environment variables — never as argv — and the hook's exit code decides success.
/// </summary>
public static class RestoreHookRunner
{
    public sealed record HookOutcome(bool Succeeded, int? ExitCode, string Output);

    public static HookOutcome RunExecutable(string path, RestoreResult result, TimeSpan timeout, CancellationToken cancel)
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
    public static IEnumerable<(string, string)> Variables(RestoreResult result)
    {
        yield return ("BACKUPTOOLS_CELL", result.Cell);
        yield return ("BACKUPTOOLS_RESTORE_PATH", result.Destination);
        yield return ("BACKUPTOOLS_RESTORE_ID", result.RestoredId);
        yield return ("BACKUPTOOLS_SAFETY_BACKUP_ID", result.SafetyBackupId ?? "");
        yield return ("RESTORE_DATE", result.RestoredPointInTime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
    }
}
