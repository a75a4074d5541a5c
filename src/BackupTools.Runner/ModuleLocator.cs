namespace BackupTools.Runner;

/// <summary>Finds BackupTools.psd1: -Module, then $BACKUPTOOLS_MODULE, then above the runner, then above the current directory.</summary>
internal static class ModuleLocator
{
    public const string ManifestName = "BackupTools.psd1";

    public static string? Find(string? explicitPath)
    {
        if (!string.IsNullOrEmpty(explicitPath)) return Path.GetFullPath(explicitPath);
        var fromEnvironment = Environment.GetEnvironmentVariable("BACKUPTOOLS_MODULE");
        if (!string.IsNullOrEmpty(fromEnvironment)) return Path.GetFullPath(fromEnvironment);
        return Above(AppContext.BaseDirectory) ?? Above(Environment.CurrentDirectory);
    }

    private static string? Above(string start)
    {
        for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, ManifestName);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
