using BackupTools.Core.Errors;

namespace BackupTools.Core.Engines.Directory.Tar;

/// <summary>Refuses archive paths that could land outside the extraction root (the "tar-slip" family).</summary>
public static class TarPathGuard
{
    public static string Normalize(string entryPath)
    {
        var path = entryPath;
        while (path.StartsWith("./", StringComparison.Ordinal)) path = path[2..];
        path = path.TrimEnd('/');
        if (path.Length == 0 || path.Contains('\0') || path.StartsWith('/') || path.StartsWith('\\')
            || (path.Length >= 2 && path[1] == ':' && char.IsAsciiLetter(path[0])))
            throw Escape(entryPath);
        foreach (var part in path.Split('/'))
            if (part is "" or "." or "..") throw Escape(entryPath);
        return path;
    }

    internal static BackupToolsException Escape(string entryPath) => new(
        "RestoreEntryEscapesDestination", FailureKind.InvalidData,
        $"The archive entry '{entryPath}' would be written outside the destination; the restore was stopped and nothing outside was touched.",
        "The backup was made by another tool or tampered with; inspect it before restoring.");
}
