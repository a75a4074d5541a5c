namespace BackupTools.Tests.Infrastructure;

public static class RepoPaths
{
    public static string Root { get; } = FindRoot();
    public static string ModuleManifest => Path.Combine(Root, "BackupTools.psd1");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "BackupTools.sln"))) return dir.FullName;
        throw new InvalidOperationException("Cannot find the repository root (BackupTools.sln) above " + AppContext.BaseDirectory);
    }
}
