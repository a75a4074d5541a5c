using System.Text.RegularExpressions;
using BackupTools.Core.Engines.External;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Engines.Postgres;

/// <summary>
/// Finds pg_dump/pg_restore/pg_dumpall — in -ToolPath, on PATH, or in Debian's /usr/lib/postgresql/N/bin —
/// and insists on a major version at least the server's (an older pg_dump refuses newer servers anyway,
/// but later and with a worse message). Secrets reach them only through the environment and a passfile.
/// </summary>
public sealed partial class PgTools
{
    private PgTools(string binDir, int major)
    {
        BinDir = binDir;
        Major = major;
    }

    public string BinDir { get; }
    public int Major { get; }
    public string PgDump => Path.Combine(BinDir, "pg_dump");
    public string PgRestore => Path.Combine(BinDir, "pg_restore");
    public string PgDumpAll => Path.Combine(BinDir, "pg_dumpall");

    public static PgTools Locate(string? toolPath, int serverMajor) =>
        Locate(toolPath, serverMajor, Environment.GetEnvironmentVariable("PATH"), "/usr/lib/postgresql");

    /// <summary>As <see cref="Locate(string?, int)"/> with the search path and Debian's version folder given (tests).</summary>
    internal static PgTools Locate(string? toolPath, int serverMajor, string? searchPath, string debianRoot)
    {
        var candidates = new List<string>();
        if (!string.IsNullOrEmpty(toolPath))
        {
            var dir = System.IO.Directory.Exists(toolPath) ? toolPath : Path.GetDirectoryName(toolPath) ?? toolPath;
            if (!File.Exists(Path.Combine(dir, "pg_dump")))
                throw new BackupInputException("PgDumpNotFound", "ToolPath", $"'{toolPath}' has no pg_dump.", "Point -ToolPath at PostgreSQL's bin folder.");
            candidates.Add(dir);
        }
        else
        {
            if (System.IO.Directory.Exists(debianRoot))
                candidates.AddRange(System.IO.Directory.GetDirectories(debianRoot).Select(d => Path.Combine(d, "bin"))
                    .Where(d => File.Exists(Path.Combine(d, "pg_dump"))));
            var debianDirs = candidates.Count > 0;
            // Debian's pg_wrapper (/usr/bin/pg_dump) only ever runs one of /usr/lib/postgresql/N/bin's, already here:
            // asking it too would cost a perl start-up and a second pg_dump per PATH entry, on every backup.
            candidates.AddRange((searchPath ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Where(d => File.Exists(Path.Combine(d, "pg_dump")) && !(debianDirs && IsDebianWrapper(Path.Combine(d, "pg_dump")))));
        }
        if (candidates.Count == 0)
            throw new BackupToolsException("PgDumpNotFound", FailureKind.NotFound, "pg_dump was not found on PATH or in /usr/lib/postgresql/*/bin.",
                "Install the PostgreSQL client (e.g. apt-get install postgresql-client-15) or pass -ToolPath.");
        // One --version per distinct binary (/bin and /usr/bin are often the same folder); ties keep the first candidate.
        var majors = new Dictionary<string, int>(StringComparer.Ordinal);
        var best = candidates.Select(d => (Dir: d, Major: CachedVersionOf(d, majors))).OrderByDescending(c => c.Major).First();
        if (best.Major < serverMajor)
            throw new BackupToolsException("PgDumpTooOld", FailureKind.ExternalToolFailure,
                $"pg_dump {best.Major} ({best.Dir}) is older than the server (PostgreSQL {serverMajor}); it cannot dump it.",
                $"Install postgresql-client-{serverMajor} or newer, or pass -ToolPath to its bin folder.");
        return new PgTools(best.Dir, best.Major);
    }

    private static int CachedVersionOf(string binDir, Dictionary<string, int> majors)
    {
        var binary = RealPath(Path.Combine(binDir, "pg_dump"));
        if (!majors.TryGetValue(binary, out var major)) majors[binary] = major = VersionOf(binDir);
        return major;
    }

    private static bool IsDebianWrapper(string pgDump) => RealPath(pgDump).EndsWith("/postgresql-common/pg_wrapper", StringComparison.Ordinal);

    private static string RealPath(string path)
    {
        try { return new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path); }
        catch (IOException) { return Path.GetFullPath(path); }
    }

    private static int VersionOf(string binDir)
    {
        try
        {
            using var output = new MemoryStream();
            ExternalTool.Run(Path.Combine(binDir, "pg_dump"), ["--version"], new Dictionary<string, string>(), output, null, CancellationToken.None, throwOnFailure: false);
            var match = VersionPattern().Match(System.Text.Encoding.UTF8.GetString(output.ToArray()));
            return match.Success ? int.Parse(match.Groups[1].Value) : 0;
        }
        catch (Exception e) when (e is BackupToolsException or System.ComponentModel.Win32Exception) { return 0; }
    }

    [GeneratedRegex(@"\) (\d+)")]
    private static partial Regex VersionPattern();
}
