using System.Text;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Scheduling;

/// <summary>
/// What a schedule runs: pwsh when it is installed, else the project's runner (./bt). Under pwsh the job
/// imports this checkout's BackupTools.psd1 and exits 1 when any error was written, as ./bt does, so cron,
/// systemd and Task Scheduler see a failed run as failed. Quoting for each scheduler lives here too.
/// </summary>
public sealed record ScheduledCommand(string Executable, IReadOnlyList<string> Arguments)
{
    /// <summary>cron starts jobs with PATH=/usr/bin:/bin; systemd with the /usr/local, /usr and / bin and sbin folders.</summary>
    private static readonly string[] SchedulerPath = ["/usr/local/bin", "/usr/bin", "/bin"];

    /// <summary>PATH for the job, set only when the runner's dotnet lives elsewhere (e.g. ~/.dotnet); else null.</summary>
    public string? JobPath { get; init; }

    /// <param name="moduleRoot">Folder holding BackupTools.psd1 and bt.</param>
    /// <param name="pwsh">Absolute path of pwsh, or null to use the runner.</param>
    /// <param name="dotnet">Absolute path of the dotnet the runner (bt) will need, as found on PATH at registration.</param>
    public static ScheduledCommand Create(string? script, string? command, string moduleRoot, string? pwsh, string? dotnet = null)
    {
        if ((script is null) == (command is null))
            throw new BackupInputException("ScheduleCommandMissing", "Script", "give either -Script or -Command.", "Use -Script /path/job.ps1 or -Command 'Backup-Cell …'.");
        var text = script ?? command!;
        if (text.Length == 0 || text.Contains('\n') || text.Contains('\r') || text.Contains('\0'))
            throw new BackupInputException("ScheduleCommandInvalid", script != null ? "Script" : "Command",
                "is empty or spans several lines; schedulers take one line.", "Put multi-line work into a .ps1 file and use -Script.");
        if (pwsh != null)
        {
            var body = script != null ? "& " + PsQuote(script) : command!;
            var manifest = PsQuote(Path.Combine(moduleRoot, "BackupTools.psd1"));
            return new ScheduledCommand(pwsh, ["-NoProfile", "-NonInteractive", "-Command",
                $"Import-Module {manifest} -ErrorAction Stop; $Error.Clear(); {body}; if ($Error.Count -gt 0) {{ exit 1 }}"]);
        }
        var mode = script != null ? "-File" : "-Command";
        return OperatingSystem.IsWindows()
            ? new ScheduledCommand("dotnet", [Path.Combine(moduleRoot, "bin", "runner", "btrun.dll"), mode, text])
            : new ScheduledCommand(Path.Combine(moduleRoot, "bt"), [mode, text]) { JobPath = PathFor(dotnet) };
    }

    // bt runs `dotnet` from PATH: a scheduler's short PATH must still find the one found now.
    private static string? PathFor(string? dotnet)
    {
        var folder = dotnet is null ? null : Path.GetDirectoryName(dotnet);
        if (folder is null || SchedulerPath.Contains(folder)) return null;
        return string.Join(':', new[] { folder }.Concat(SchedulerPath));
    }

    /// <summary>Finds an executable on PATH (pwsh), or null.</summary>
    public static string? FindOnPath(string name, string? path = null)
    {
        path ??= Environment.GetEnvironmentVariable("PATH") ?? "";
        var names = OperatingSystem.IsWindows() ? new[] { name + ".exe", name } : [name];
        foreach (var folder in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            foreach (var candidate in names.Select(n => Path.Combine(folder, n)))
                if (File.Exists(candidate) && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(candidate) & UnixFileMode.UserExecute) != 0))
                    return Path.GetFullPath(candidate);
        return null;
    }

    private static string PsQuote(string text) => "'" + text.Replace("'", "''") + "'";

    /// <summary>POSIX sh words (single quotes, so nothing expands), with PATH=… in front when the job needs it.</summary>
    public string ToShell() => (JobPath is null ? "" : "PATH=" + ShellQuote(JobPath) + " ") + string.Join(' ', new[] { Executable }.Concat(Arguments).Select(ShellQuote));

    public static string ShellQuote(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "_./:=@+-,".Contains(c)) ? word : "'" + word.Replace("'", "'\\''") + "'";

    /// <summary>ExecStart= value: every word double-quoted; '%' and '$' doubled so systemd expands neither.</summary>
    public string ToSystemd() => string.Join(' ', new[] { Executable }.Concat(Arguments).Select(w =>
        "\"" + w.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("%", "%%").Replace("$", "$$") + "\""));

    /// <summary>Windows command-line arguments as CommandLineToArgvW reads them back.</summary>
    public string ToWindowsArguments() => string.Join(' ', Arguments.Select(WindowsQuote));

    private static string WindowsQuote(string word)
    {
        if (word.Length > 0 && !word.Any(c => c is ' ' or '\t' or '"')) return word;
        var quoted = new StringBuilder("\"");
        var backslashes = 0;
        foreach (var c in word)
        {
            if (c == '\\') { backslashes++; continue; }
            quoted.Append('\\', c == '"' ? backslashes * 2 + 1 : backslashes).Append(c);
            backslashes = 0;
        }
        return quoted.Append('\\', backslashes * 2).Append('"').ToString();
    }
}
