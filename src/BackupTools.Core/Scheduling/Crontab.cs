using System.ComponentModel;
using System.Text;
using BackupTools.Core.Engines.External;
using BackupTools.Core.Errors;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Scheduling;

/// <summary>Where crontab text lives: the user's crontab (via the crontab command) or a file.</summary>
public interface ICrontab
{
    string Location { get; }
    string Read();
    void Write(string content);
}

/// <summary>The current user's crontab through `crontab -l` and `crontab -` (stdin, never a temp file of ours).</summary>
public sealed class UserCrontab : ICrontab
{
    public string Location => "crontab of " + Environment.UserName;

    public string Read()
    {
        using var output = new MemoryStream();
        var result = Run(["-l"], output, null);
        // "no crontab for <user>" (exit 1) is an empty crontab, not an error.
        if (result.ExitCode != 0 && result.Stderr.Contains("no crontab", StringComparison.OrdinalIgnoreCase)) return "";
        if (result.ExitCode != 0) throw Failed("crontab -l", result);
        return Encoding.UTF8.GetString(output.ToArray());
    }

    public void Write(string content)
    {
        using var input = new MemoryStream(Encoding.UTF8.GetBytes(content));
        var result = Run(["-"], null, input);
        if (result.ExitCode != 0) throw Failed("crontab -", result);
    }

    private static ExternalTool.Result Run(string[] args, Stream? stdout, Stream? stdin)
    {
        // Resolved on PATH ourselves: Process.Start would try the current directory first.
        var crontab = ScheduledCommand.FindOnPath("crontab") ?? throw new BackupToolsException("CrontabUnavailable", FailureKind.NotFound,
            "The crontab command is not installed on this host.", "Install cron (apt-get install cron), or use -Target Systemd.");
        try
        {
            return ExternalTool.Run(crontab, args, new Dictionary<string, string>(), stdout, stdin, CancellationToken.None, throwOnFailure: false);
        }
        catch (Win32Exception e)
        {
            throw new BackupToolsException("CrontabUnavailable", FailureKind.NotFound, $"The crontab command could not be started ({e.Message}); is cron installed on this host?",
                "Install cron (apt-get install cron), or use -Target Systemd.");
        }
    }

    private static BackupToolsException Failed(string what, ExternalTool.Result result) =>
        new("CrontabFailed", FailureKind.ExternalToolFailure, $"{what} failed with exit code {result.ExitCode}: {result.Stderr}");
}

/// <summary>A crontab-format file (tests, or a file a container's cron reads); replaced atomically, 0600.</summary>
public sealed class FileCrontab(string path) : ICrontab
{
    public string Location => path;

    public string Read() => File.Exists(path) ? File.ReadAllText(path) : "";

    public void Write(string content) => AtomicFile.Write(path, content);
}

internal static class AtomicFile
{
    /// <param name="shared">0644 instead of 0600: unit files hold no secrets and systemd reads them as another user.</param>
    public static void Write(string path, string content, Encoding? encoding = null, bool shared = false)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(folder);
        var temp = Path.Combine(folder, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = PrivateFileSystem.CreateFile(temp, FileMode.CreateNew))
            {
                var bytes = (encoding ?? new UTF8Encoding(false)).GetPreamble().Concat((encoding ?? new UTF8Encoding(false)).GetBytes(content)).ToArray();
                file.Write(bytes);
                file.Flush(flushToDisk: true);
            }
            if (shared && !OperatingSystem.IsWindows())
                File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            File.Move(temp, path, overwrite: true);
            PrivateFileSystem.SyncDirectory(folder);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
