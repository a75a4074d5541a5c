using System.Globalization;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Operations;

/// <summary>
/// The optional per-run log file (BACKUPTOOLS_LOG_FILE, or the runner's -LogFile): one line per event,
/// "2026-11-24T02:00:01.123Z host[pid] Backup-Postgres WARNING message". Created private (0600) and appended
/// one whole line per write so parallel cmdlets and processes interleave whole lines. Only messages the core already
/// writes for users go in — they never hold secrets — and never parameter values. Failing to log never fails
/// the work.
/// </summary>
public static class RunLog
{
    public const string EnvironmentVariable = "BACKUPTOOLS_LOG_FILE";
    private static readonly object Gate = new();

    public static string? ConfiguredPath => Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } path ? path : null;

    public static void Write(string? path, string source, string level, string message)
    {
        if (path is null) return;
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{DateTimeOffset.UtcNow:yyyy-MM-dd'T'HH:mm:ss.fff'Z'} {Environment.MachineName}[{Environment.ProcessId}] {source} {level} {message.ReplaceLineEndings(" | ")}\n");
        try
        {
            lock (Gate)
            {
                // O_APPEND with one write per line: other processes' lines interleave whole, so share the file.
                var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.ReadWrite | FileShare.Delete };
                if (!OperatingSystem.IsWindows()) options.UnixCreateMode = PrivateFileSystem.PrivateFile;
                using var stream = new FileStream(path, options);
                var bytes = System.Text.Encoding.UTF8.GetBytes(line);
                stream.Write(bytes);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A full disk or a bad path must not fail a backup; the user sees the problem in the missing log.
        }
    }
}
