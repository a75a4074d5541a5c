using BackupTools.Core.Errors;

namespace BackupTools.Core.Engines.Directory.Tar;

/// <summary>Refuses archive paths that could land outside the extraction root (the "tar-slip" family).</summary>
public static class TarPathGuard
{
    public const string EscapeErrorId = "RestoreEntryEscapesDestination";

    /// <summary>
    /// Returns the path without a leading "./" or trailing '/', or throws RestoreEntryEscapesDestination for
    /// absolute paths, drive letters, UNC paths, "..", empty or "." components, and NUL characters.
    /// </summary>
    public static string Normalize(string entryPath)
    {
        ArgumentNullException.ThrowIfNull(entryPath);
        return TryNormalize(entryPath, out var path) ? path : throw Escape(entryPath);
    }

    /// <summary>
    /// The one confinement rule for every path read from a stored object (tar entries, index entries):
    /// false for anything that could name a place outside the root it is resolved against.
    /// </summary>
    public static bool TryNormalize(string? entryPath, out string normalized)
    {
        normalized = "";
        if (entryPath is null) return false;
        var path = entryPath;
        while (path.StartsWith("./", StringComparison.Ordinal)) path = path[2..];
        path = path.TrimEnd('/');
        if (path.Length == 0 || path.Contains('\0') || path.StartsWith('/') || path.StartsWith('\\')
            || (path.Length >= 2 && path[1] == ':' && char.IsAsciiLetter(path[0])))
            return false;
        // On Windows a backslash separates too; elsewhere it is an ordinary file name character.
        var separators = OperatingSystem.IsWindows() ? new[] { '/', '\\' } : new[] { '/' };
        foreach (var part in path.Split(separators))
            if (part is "" or "." or ".." || (OperatingSystem.IsWindows() && part.Contains(':'))) return false;
        normalized = path;
        return true;
    }

    internal static BackupToolsException Escape(string entryPath) => new(
        EscapeErrorId, FailureKind.InvalidData,
        $"The archive entry '{BackupTools.Core.Posix.PosixNames.Display(entryPath)}' would be written outside the destination; the restore was stopped and nothing outside was touched.",
        "The backup was made by another tool or tampered with; inspect it before restoring.");
}
